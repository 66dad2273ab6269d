"""Per-officer figures on the dashboard add up to the unit's, by the same outcome of each item."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage.reports import build_report, by_assignee
from storage.tables import Item
from storage.users import create_user
from tests.storage.test_reports import MARCH, NOW, seed


def test_the_officers_rows_add_up_to_the_units_totals_and_overdue_now(
    sessions: sessionmaker[Session],
) -> None:
    seed(sessions)
    now = NOW.astimezone(UTC)
    with sessions.begin() as s:
        people = [
            create_user(
                s,
                username=f"canbo{i}",
                display_name=f"Cán bộ {i}",
                password="mat-khau-dai-du-12",
                role="officer",
                unit_ids=["cam-giang"],
                now=now,
            ).id
            for i in range(2)
        ]
        items = list(s.scalars(select(Item).order_by(Item.id)))
        for n, found in enumerate(items):
            # A third of the items nobody holds: their row keeps the sum whole.
            found.assignee_id = None if n % 3 == 2 else people[n % 3]
    with sessions.begin() as s:
        report = build_report(s, MARCH, now, "cam-giang")
        rows = by_assignee(s, MARCH, now, {"cam-giang"})
        assert {r.figures.key for r in rows} == {str(people[0]), str(people[1]), None}
        assert rows[-1].figures.key is None
        for outcome in ("received", "on_time", "late", "open", "overdue"):
            total = getattr(report.totals, outcome)
            assert sum(getattr(r.figures, outcome) for r in rows) == total, outcome
        assert sum(r.overdue_now for r in rows) == report.overdue_now > 0
        assert sum(r.handled for r in rows) == report.totals.on_time + report.totals.late
        assert all(r.figures.received > 0 for r in rows)
