from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session, sessionmaker

from monitor.jobs import refresh_deadlines
from storage.tables import CalendarDay
from tests.monitor.harness import make_daemon, settings_for


def test_days_off_added_in_the_web_ui_reach_the_daemons_deadlines(
    sqlite_sessions: sessionmaker[Session],
) -> None:
    daemon = make_daemon(settings_for("http://127.0.0.1:9", "unused"), sqlite_sessions)
    received = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)  # Tuesday 09:00 in Việt Nam
    due_at = daemon.ctx.policy.due_at
    assert due_at is not None
    before, _rule = due_at("phan_anh", False, received)
    with sqlite_sessions.begin() as session:
        session.add(CalendarDay(day=date(2026, 3, 4), kind="off", note="Nghỉ bù (thử)"))
    refresh_deadlines(daemon)
    refreshed = daemon.ctx.policy.due_at
    assert refreshed is not None
    after, _rule = refreshed("phan_anh", False, received)
    assert (after.date() - before.date()).days == 1
