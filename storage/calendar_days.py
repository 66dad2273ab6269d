"""Days off and make-up working days that admins add in the web UI, on top of the rule table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.audit import record as audit
from storage.deadlines import DeadlinePolicy, load_policy
from storage.tables import OPEN_STATUSES, CalendarDay, Item
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


class CalendarDayRefusedError(ValueError):
    """The day cannot be added as asked; the message says why and what to do."""


def check_new_day(policy: DeadlinePolicy, day: date, kind: str, *, confirmed: bool) -> None:
    """A make-up working day is a Saturday or Sunday the admin confirmed; a day off is a day
    that would otherwise be worked."""
    calendar = policy.calendar
    if kind == "work":
        if day.weekday() not in calendar.weekend:
            raise CalendarDayRefusedError(
                f"{day:%d/%m/%Y} là ngày làm việc bình thường; ngày làm bù phải là thứ Bảy hoặc "
                "Chủ nhật."
            )
        if not confirmed:
            raise CalendarDayRefusedError(
                f"Xác nhận {day:%d/%m/%Y} ({_weekday(day)}) là ngày làm bù theo văn bản của cấp "
                "có thẩm quyền: đánh dấu ô xác nhận rồi lưu lại."
            )
    elif kind == "off" and not calendar.is_working_day(day):
        raise CalendarDayRefusedError(
            f"{day:%d/%m/%Y} đã là ngày nghỉ ({calendar.reason(day)}); không cần thêm."
        )


def _weekday(day: date) -> str:
    return "Chủ nhật" if day.weekday() == 6 else f"thứ {day.weekday() + 2}"


def recompute_open_deadlines(
    session: Session, policy: DeadlinePolicy, *, user_id: int | None, now: datetime
) -> int:
    """Give every open item the deadline the new calendar says; audit each change.

    Returns how many deadlines moved. Urgent items keep their wall-clock hours; an item without
    a category (not classified yet) keeps its default rule. An item a citizen's rating reopened
    counts its second round from the reopening (storage/satisfaction.py), not from receipt.
    """
    moved = 0
    open_items = select(Item).where(Item.status.in_(OPEN_STATUSES)).order_by(Item.id)
    for item in session.scalars(open_items.execution_options(yield_per=500)):
        start = item.reopened_at or item.created_time
        due, rule = policy.deadline(item.category, bool(item.urgent), start)
        if due == item.due_at:
            continue
        before = {"due_at": item.due_at.isoformat() if item.due_at else None}
        item.due_at, item.deadline_rule = due, rule
        after = {"due_at": due.isoformat() if due else None, "reason": "calendar"}
        audit(session, user_id, "deadline_recomputed", item.id, before, after, now)
        moved += 1
    return moved
