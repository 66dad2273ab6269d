"""Readers take no lock on SQLite, writers queue for it: a page held open does not stop the
daemon, and two writers take turns instead of failing with "database is locked"."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from storage.db import ReadOnlySessionError, read_sessions, session_factory
from storage.ingest import ingest
from storage.tables import Item, Unit
from tests.storage.test_ingest import NOW, record, setup_page

# Far below busy_timeout (30 s): a writer still waiting then is blocked, not slow.
WAIT = 10.0


class Worker(threading.Thread):
    """Runs ``work`` and keeps its exception for the test to see."""

    def __init__(self, work: Callable[[], None]) -> None:
        super().__init__(daemon=True)
        self.work, self.error = work, None

    def run(self) -> None:
        try:
            self.work()
        except BaseException as exc:
            self.error = exc  # type: ignore[assignment]


def items(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Item)) or 0)


def test_an_open_read_does_not_hold_up_the_daemons_ingest(sqlite_engine: Engine) -> None:
    writers, readers = session_factory(sqlite_engine), read_sessions(sqlite_engine)
    setup_page(writers)

    def daemon() -> None:
        with writers.begin() as session:
            ingest(session, [record(n) for n in range(20)], now=NOW)

    with readers.begin() as page:  # a GET still rendering its template
        assert items(page) == 0
        writer = Worker(daemon)
        writer.start()
        writer.join(WAIT)
        stored_while_reading = not writer.is_alive()
        assert items(page) == 0  # the page keeps reading its own snapshot
    writer.join()
    assert stored_while_reading and writer.error is None
    with readers.begin() as session:
        assert items(session) == 20


def test_two_writers_take_turns_without_database_is_locked(sqlite_engine: Engine) -> None:
    writers = session_factory(sqlite_engine)
    setup_page(writers)
    first_has_read, second_begins = threading.Event(), threading.Event()
    seen_by_second: list[int] = []

    def first() -> None:
        with writers.begin() as session:
            items(session)  # reads, as ingest() does, before it writes
            first_has_read.set()
            second_begins.wait(WAIT)
            ingest(session, [record(1)], now=NOW)

    def second() -> None:
        first_has_read.wait(WAIT)
        second_begins.set()
        with writers.begin() as session:
            seen_by_second.append(items(session))
            ingest(session, [record(2)], now=NOW)

    workers = [Worker(first), Worker(second)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert [w.error for w in workers] == [None, None]
    assert seen_by_second == [1]  # it began after the first committed, not beside it
    with writers.begin() as session:
        assert items(session) == 2


def test_a_read_only_session_refuses_every_write_and_says_where_to_write(
    sessions: sessionmaker[Session],
) -> None:
    engine = sessions.kw["bind"]
    with read_sessions(engine)() as session:
        session.add(Unit(id="c", name="Xã C"))
        with pytest.raises(ReadOnlySessionError, match="session_factory"):
            session.flush()
    with read_sessions(engine)() as session, pytest.raises(ReadOnlySessionError):
        session.execute(update(Unit).values(name="?"))
    with read_sessions(engine)() as session:
        assert session.scalars(select(Unit)).all() == []  # reading is what it is for
