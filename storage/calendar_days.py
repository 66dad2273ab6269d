"""Days off and make-up working days that admins add in the web UI, on top of the rule table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.deadlines import DeadlinePolicy, load_policy
from storage.tables import CalendarDay
from storage.workdays import WorkingCalendar


def all_days(session: Session) -> Sequence[CalendarDay]:
    return session.scalars(select(CalendarDay).order_by(CalendarDay.day.desc())).all()


def find_day(session: Session, day: date) -> CalendarDay | None:
    return session.get(CalendarDay, day)


def deadline_policy(deadlines_file: str | None, session: Session | None = None) -> DeadlinePolicy:
    """The configured rules on a calendar that includes the days admins added in the web UI."""
    policy = load_policy(deadlines_file or None)
    if session is None:
        return policy
    days = all_days(session)
    if not days:
        return policy
    cal = policy.calendar
    calendar = WorkingCalendar(
        weekend=cal.weekend,
        extra_days_off={**cal.extra_days_off, **{d.day: d.note for d in days if d.kind == "off"}},
        make_up_days={**cal.make_up_days, **{d.day: d.note for d in days if d.kind == "work"}},
        office_hours=cal.office_hours,
    )
    return DeadlinePolicy(policy.rules, calendar, due_soon_hours=policy.due_soon_hours)
