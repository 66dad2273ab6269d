"""Engines and sessions: SQLite (WAL, busy timeout, foreign keys) or PostgreSQL via psycopg 3."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger("pakn.storage")


class DatabaseError(RuntimeError):
    """The database cannot be reached or is not ready; the message says how to fix it."""


def normalise_url(url: str) -> str:
    """Accept the usual spellings and pick the psycopg 3 driver for PostgreSQL."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(
            f"database_url không hợp lệ: {url!r}. Ví dụ: sqlite:///pakn.db hoặc "
            "postgresql+psycopg://pakn@127.0.0.1:5432/pakn"
        ) from exc
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; take it over so that
        # BEGIN IMMEDIATE serialises writers instead of failing on upgrade.
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def connect_check(engine: Engine) -> Iterator[None]:
    """Turn connection failures into a message that names the fix."""
    try:
        yield
    except OperationalError as exc:
        url = engine.url.render_as_string(hide_password=True)
        raise DatabaseError(
            f"Không kết nối được cơ sở dữ liệu {url}: {exc.orig}. Kiểm tra máy chủ đang chạy, "
            "tên người dùng/mật khẩu và database_url trong tệp cấu hình."
        ) from exc


@contextmanager
def scratch_schema(url: str, prefix: str = "scratch") -> Iterator[str]:
    """A throw-away PostgreSQL schema (tests, benchmarks): yields a URL whose search_path is it."""
    import uuid

    from sqlalchemy import text

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        # An extension belongs to the database, in one schema: created by the migrations
        # inside a throw-away schema, it would be dropped with it, and with it the indexes
        # of every other schema using it. Create it once where it stays (usually public);
        # the lock keeps two test runs from creating it at the same moment.
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('pakn scratch extensions'))"))
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(files("storage") / "migrations"))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (``pakn db upgrade``)."""
    with connect_check(engine):
        command.upgrade(alembic_config(engine), revision)


def is_current(engine: Engine) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with connect_check(engine), engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        current = MigrationContext.configure(conn).get_current_heads()
    heads = ScriptDirectory.from_config(alembic_config(engine)).get_heads()
    return set(current) == set(heads)


def require_current(engine: Engine) -> None:
    if not is_current(engine):
        raise DatabaseError(
            "Cơ sở dữ liệu chưa được khởi tạo hoặc chưa nâng cấp. Chạy 'pakn db upgrade' trước."
        )
