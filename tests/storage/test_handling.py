"""When an item counts as handled for the unit's figures: a transfer within its clock is on
time, a late one is late, and a transferred item leaves the open and overdue counts
(storage/handling.py, storage/reports.py; README "Reports: what each figure counts")."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from storage.deadlines import load_policy
from storage.queue_search import queue_counts
from storage.report_periods import Period, month_of
from storage.reports import build_report
from storage.review_queue import change_status
from storage.tables import Item
from storage.transfers import transfer
from storage.visibility import Viewer
from storage.workdays import VIETNAM_TZ
from tests.storage.queue_world import People, add_item

CALENDAR = load_policy().calendar
APRIL = month_of(date(2026, 4, 1))


def local(moment: str) -> datetime:
    return datetime.fromisoformat(moment).replace(tzinfo=VIETNAM_TZ).astimezone(UTC)


def received_with_a_day(session: Session, text: str, received: datetime) -> Item:
    item = add_item(session, text, received=received)
    item.due_at = received + timedelta(days=1)
    return item


def outcomes(session: Session, period: Period, now: datetime) -> tuple[int, int, int, int, int]:
    t = build_report(session, period, now, "a", calendar=CALENDAR).totals
    return t.on_time, t.late, t.open, t.overdue, t.received


def test_a_transfer_within_five_working_days_is_on_time_and_a_later_one_is_late(
    world: tuple[Session, People],
) -> None:
    session, people = world
    # Friday 24/4/2026: Giỗ Tổ taken on Monday 27/4, 30/4 and 1/5 off: the transfer is due by
    # the end of Wednesday 6/5. The items' own deadline (one day) passed long before.
    received = local("2026-04-24T09:00")
    items = [
        received_with_a_day(session, text, received)
        for text in ("Quốc lộ 10 sạt lở lề đường", "Xe tải rơi đất trên quốc lộ 10")
    ]
    for item, moment in zip(items, ("2026-05-06T16:30", "2026-05-07T08:00"), strict=True):
        transfer(session, item, agency="Sở Xây dựng", reason="Quốc lộ do Sở quản lý",
                 user_id=people.officer_a, now=local(moment), calendar=CALENDAR)  # fmt: skip
    now = local("2026-05-08T09:00")
    assert outcomes(session, APRIL, now) == (1, 1, 0, 0, 2)
    report = build_report(session, APRIL, now, "a", calendar=CALENDAR)
    assert report.overdue_now == 0 and report.overdue_items == []
    officer = Viewer(people.officer_a, "officer", frozenset({"a"}))
    counts = queue_counts(session, officer, now=now, soon=timedelta(days=1))
    assert counts["overdue"] == 0 and counts["due_soon"] == 0

    # Closing the transferred item weeks later, without an answer, changes nothing.
    change_status(session, items[0], "closed", people.officer_a, local("2026-05-29T10:00"))
    assert outcomes(session, APRIL, local("2026-06-01T09:00")) == (1, 1, 0, 0, 2)


def test_an_item_not_transferred_past_its_deadline_stays_overdue(
    world: tuple[Session, People],
) -> None:
    session, _ = world
    received = local("2026-04-24T09:00")
    received_with_a_day(session, "Quốc lộ 10 sạt lở lề đường", received)
    now = local("2026-05-08T09:00")
    assert outcomes(session, APRIL, now) == (0, 0, 0, 1, 1)
    assert build_report(session, APRIL, now, "a", calendar=CALENDAR).overdue_now == 1
