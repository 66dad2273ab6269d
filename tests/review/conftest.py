from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from review.app import create_app
from storage.users import Passwords
from tests.review.personas import CHEAP_HASHER, Visitor, World, make_policy, make_settings, populate


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Passwords, "hasher", CHEAP_HASHER)


@pytest.fixture
def world(
    sqlite_sessions: sessionmaker[Session], tmp_path: Path, clock: Callable[[], datetime]
) -> World:
    people = populate(sqlite_sessions, clock())
    app = create_app(
        make_settings(str(tmp_path)),
        sqlite_sessions,
        policy=make_policy(),
        clock=clock,
        testing=True,
    )
    return World(app, sqlite_sessions, people, clock)


@pytest.fixture
def signed_in(world: World) -> Callable[[str], Visitor]:
    def sign_in(username: str) -> Visitor:
        visitor = Visitor(world.app)
        response = visitor.login(username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return visitor

    return sign_in
