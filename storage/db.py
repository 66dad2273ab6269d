"""Engines and sessions: SQLite (WAL, busy timeout, foreign keys) or PostgreSQL via psycopg 3.

Two kinds of session, so that nobody has to remember SQLite's locking rules:

- ``session_factory(engine)``: sessions that may write. On SQLite each transaction takes the
  write lock at ``BEGIN IMMEDIATE``, so writers queue (``busy_timeout``) instead of failing.
- ``read_sessions(engine)``: sessions that only read. On SQLite they begin deferred and take no
  lock at all (WAL: a reader sees a snapshot, never waits for a writer nor holds one up). Asking
  one to write raises ``ReadOnlySessionError`` on every database, at the write.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

log = logging.getLogger("pakn.storage")


# An execution option of the engine behind read_sessions(): SQLite begins deferred for it.
READS_ONLY: Final = "pakn_reads_only"


class DatabaseError(RuntimeError):
    """The database cannot be reached or is not ready; the message says how to fix it."""


class ReadOnlySessionError(RuntimeError):
    """Code holding a session of ``read_sessions()`` tried to write (a programming error)."""


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
        # BEGIN IMMEDIATE serialises writers instead of failing on upgrade (and readers
        # begin deferred, see _sqlite_begin).
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


def _sqlite_begin(conn: Connection) -> None:
    # A deferred transaction that writes after reading must upgrade its snapshot to the write
    # lock, and SQLite refuses at once (SQLITE_BUSY_SNAPSHOT, busy_timeout does not help) when
    # another writer committed meanwhile. So a writer locks at BEGIN and waits its turn there;
    # only sessions that cannot write (read_sessions) begin deferred and lock nothing.
    reads_only = conn.get_execution_options().get(READS_ONLY, False)
    conn.exec_driver_sql("BEGIN" if reads_only else "BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that may write (on SQLite they hold the write lock for the whole transaction:
    keep them short, and read with ``read_sessions``)."""
    return sessionmaker(engine, expire_on_commit=False)


def read_sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions that only read: no lock on SQLite; a write through them raises
    ``ReadOnlySessionError`` (flush, or an INSERT/UPDATE/DELETE statement) on every database."""
    readers = sessionmaker(engine.execution_options(**{READS_ONLY: True}), expire_on_commit=False)
    event.listen(readers, "before_flush", _refuse_flush)
    event.listen(readers, "do_orm_execute", _refuse_statement)
    return readers


def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    changed = [o for o in session.dirty if session.is_modified(o)]
    pending = [*session.new, *session.deleted, *changed]
    if pending:
        names = ", ".join(sorted({type(o).__name__ for o in pending}))
        raise ReadOnlySessionError(
            f"a read-only session cannot write ({names}): write through a session of "
            "session_factory(), in a short transaction of its own"
        )


def _refuse_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise ReadOnlySessionError(
            "a read-only session cannot run INSERT, UPDATE or DELETE: write through a session "
            "of session_factory(), in a short transaction of its own"
        )


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
