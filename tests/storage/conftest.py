"""Fixtures shared by the queue, user and context tests: personas in a migrated database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from storage.users import Passwords
from tests.storage.queue_world import CHEAP_HASHER, People, populate


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its production cost would make each persona take a quarter of a second."""
    monkeypatch.setattr(Passwords, "hasher", CHEAP_HASHER)


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> Iterator[tuple[Session, People]]:
    with sessions.begin() as session:
        yield session, populate(session)
