"""Shared fixtures: databases (SQLite always, PostgreSQL when a server answers), clocks."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from storage.db import make_engine, scratch_schema, session_factory, upgrade
from tests.browsers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.clock import Clock

PG_URL = os.environ.get("PAKN_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_pg_state: dict[str, str | None] = {}


def postgres_unavailable() -> str | None:
    """None when PostgreSQL answers; otherwise the reason, printed by the skip."""
    if "reason" not in _pg_state:
        try:
            engine = make_engine(PG_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text("select 1"))
            engine.dispose()
            _pg_state["reason"] = None
        except Exception as exc:
            _pg_state["reason"] = f"PostgreSQL at {PG_URL} not reachable: {type(exc).__name__}"
    return _pg_state["reason"]


def require_postgres() -> None:
    reason = postgres_unavailable()
    if reason is None:
        return
    if os.environ.get("PAKN_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{reason} (PAKN_REQUIRE_POSTGRES=1: PostgreSQL tests are mandatory here)")
    pytest.skip(f"{reason}; start it or set PAKN_TEST_POSTGRES (CI makes these mandatory)")


def fresh_database_url(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'pakn.db'}"
        return
    require_postgres()
    with scratch_schema(PG_URL, "t") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty database on each engine we deploy to."""
    yield from fresh_database_url(request.param, tmp_path_factory)


@pytest.fixture
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from fresh_database_url("sqlite", tmp_path_factory)


def _migrated(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    yield from _migrated(db_url)


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    yield from _migrated(sqlite_url)


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def sqlite_sessions(sqlite_engine: Engine) -> sessionmaker[Session]:
    return session_factory(sqlite_engine)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def trained_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default model, trained once per test run from the packaged seed data (read-only)."""
    from classifier.registry import load_active_or_build_default

    path = tmp_path_factory.mktemp("models")
    load_active_or_build_default(path)
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (no browser download)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
