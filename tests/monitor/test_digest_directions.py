"""The morning digest links the leaders to the proposals waiting for their direction."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session, sessionmaker

from monitor.alerts import AlertDetector
from storage import proposals
from storage.tables import Item
from tests.monitor.test_alerts import (
    MONDAY_MORNING,
    Clock,
    add_item,
    make_settings,
    rows,
    setup_unit,
    target,
)


def test_the_digest_counts_the_proposals_awaiting_direction_and_links_the_list(
    sqlite_sessions: sessionmaker[Session],
) -> None:
    setup_unit(sqlite_sessions)
    now = MONDAY_MORNING
    first = add_item(sqlite_sessions, 1, now - timedelta(days=2), due_at=now + timedelta(days=3))
    second = add_item(sqlite_sessions, 2, now - timedelta(days=2), due_at=now + timedelta(days=3))
    with sqlite_sessions.begin() as s:
        draft = proposals.Draft("Mất sóng", "Làm việc với nhà mạng", None, date(2026, 3, 9))
        for item_id in (first, second):
            item = s.get(Item, item_id)
            assert item is not None
            proposals.propose(s, [item], draft, None, now - timedelta(days=1))
    settings = make_settings(unit_targets=[target("json://127.0.0.1:9/a", "digest")])

    AlertDetector(settings, sqlite_sessions, Clock(now)).run()

    [digest] = rows(sqlite_sessions, "digest")
    assert "Chờ chỉ đạo (2 đề xuất): " in digest.body
    assert digest.body.split("Chờ chỉ đạo (2 đề xuất): ")[1].split("\n")[0].endswith("/directions/")
