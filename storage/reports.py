"""The leadership's figures for a period: what came in, how it was handled, what is late.

The cohort is every citizen item received in the period (page replies excluded). Each falls in
exactly one outcome, so the four add up to the number received (README, "Reports: what each
figure counts"):

- ``on_time``: handled (answered, closed or not actionable) by its deadline, or without one;
- ``late``: handled after its deadline;
- ``open``: not handled yet and still within its deadline;
- ``overdue``: not handled yet and past its deadline at the time of the report.

An item handled without a recorded time counts as on time: nothing shows it was late.

A transfer is how the unit handles an item outside its competence (NĐ 20/2008 Điều 9.1.d,
Luật Tố cáo 2018 Điều 24.2): a transferred item is handled at the transfer, ``on_time`` when
made within its 05-working-day clock (storage/transfers.py) and ``late`` after it, whatever the
item's own deadline; closing it afterwards without an answer changes nothing.

The on-time rate is ``on_time / (on_time + late + overdue)``: every item whose deadline has
come, handled or not. An overdue item counts against it (a rate of "100 %" beside 12 overdue
items was the old formula, which left them out); an open item still in time counts for neither.

A citizen's "chưa hài lòng" reopens an item and starts a second handling round with a fresh
deadline (storage/satisfaction.py). The cohort counts every item once, by its first round: the
reopened item keeps the outcome its first answer had (frozen on the item, storage/handling.py)
in the figures of the period it was received in. The second rounds are counted apart, in
``reopened``: those a rating started in the period, with the outcome of each now (on time,
late, open, overdue); they never enter the on-time rate.

Besides the cohort: ``prolonged`` lists the items "kéo dài" in the period (storage/prolonged.py,
whenever they were received), and ``overdue_now`` counts every open item past its deadline
now, whenever received: the same items as the queue's "Quá hạn" view of the same units.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from storage.deadlines import load_policy
from storage.handling import (
    FIRST_ROUND_COLUMNS,
    MOVED_COLUMNS,
    FirstRound,
    Moved,
    first_round,
    moved_of,
)
from storage.masking import MASKED_AUTHOR, excerpt
from storage.prolonged import MARGIN_WORKING_DAYS, Prolonged, prolonged_in
from storage.report_periods import Period
from storage.tables import RUNNING_STATUSES, Item, Unit
from storage.visibility import Guard, reveal, shield_for
from storage.workdays import VIETNAM_TZ, WorkingCalendar

OUTCOMES = ("on_time", "late", "open", "overdue")
DIMENSIONS = ("source", "category", "field", "department", "unit_id")
SOURCE_NAMES = {
    "facebook_comment": "Bình luận Facebook",
    "facebook_message": "Tin nhắn Messenger",
    "facebook_post": "Bài đăng của người dân",
    "hotline": "Đường dây nóng",
}
STATUS_NAMES = {
    "new": "Mới",
    "acknowledged": "Đã tiếp nhận",
    "in_triage": "Đang phân loại",
    "assigned": "Đã giao xử lý",
    "in_progress": "Đang xử lý",
    "waiting_citizen": "Chờ bổ sung",
    "transferred": "Đã chuyển",
    "answered": "Đã trả lời",
    "closed": "Đã đóng",
    "not_actionable": "Không cần xử lý",
    "reopened": "Mở lại",
}
_COLUMNS = (
    Item.id,
    Item.created_time,
    Item.status,
    Item.due_at,
    Item.acknowledged_at,
    Item.answered_at,
    Item.closed_at,
    Item.urgent,
    *(getattr(Item, d) for d in DIMENSIONS),
    *MOVED_COLUMNS,
    *FIRST_ROUND_COLUMNS,
    Item.first_answered_at,
)


@dataclass
class Tally:
    """Counts for one slice (the whole cohort, or one channel, category, ...)."""

    key: str | None = None
    received: int = 0
    on_time: int = 0
    late: int = 0
    open: int = 0
    overdue: int = 0

    def add(self, outcome: str) -> None:
        self.received += 1
        setattr(self, outcome, getattr(self, outcome) + 1)

    @property
    def due(self) -> int:
        """Items whose deadline has come: handled (on time or late) or overdue."""
        return self.on_time + self.late + self.overdue

    @property
    def on_time_rate(self) -> float | None:
        """Share of the items due that were handled on time (None when none is due yet)."""
        return self.on_time / self.due if self.due else None


@dataclass(frozen=True)
class ListedItem:
    id: int
    received_at: datetime
    unit_id: str
    source: str
    category: str | None
    field: str | None
    department: str | None
    status: str
    urgent: bool
    due_at: datetime | None
    author: str
    excerpt: str
    outcome: str
    # Why a prolonged item is listed (storage.prolonged); empty in the other lists.
    note: str = ""


@dataclass
class Report:
    period: Period
    unit_id: str | None
    generated_at: datetime
    # The units a report of several units covers (None: every unit).
    within: frozenset[str] | None = None
    totals: Tally = field(default_factory=Tally)
    by: dict[str, list[Tally]] = field(default_factory=dict)
    avg_ack_hours: float | None = None
    avg_answer_hours: float | None = None
    per_day: dict[date, Counter[str]] = field(default_factory=dict)
    overdue_items: list[ListedItem] = field(default_factory=list)
    urgent_items: list[ListedItem] = field(default_factory=list)
    prolonged_items: list[ListedItem] = field(default_factory=list)
    overdue_now: int = 0
    # Second rounds a citizen's rating started in the period, by their outcome now.
    reopened: Tally = field(default_factory=Tally)
    unit_names: dict[str, str] = field(default_factory=dict)


def outcome(
    status: str, due_at: datetime | None, handled_at: datetime | None, now: datetime
) -> str:
    if status in RUNNING_STATUSES:
        return "overdue" if due_at is not None and due_at < now else "open"
    if due_at is None or handled_at is None or handled_at <= due_at:
        return "on_time"
    return "late"


def item_outcome(
    status: str,
    due_at: datetime | None,
    answered_at: datetime | None,
    closed_at: datetime | None,
    moved: Moved | None,
    now: datetime,
    first: FirstRound | None = None,
) -> str:
    """``outcome`` with the transfer rule (``moved`` is ``moved_of``'s answer) and the rule of
    reopened items: ``first``, the round a citizen's rating froze, decides (``first_round``)."""
    if first is not None:
        due, handled = first
        return "late" if due is not None and handled is not None and handled > due else "on_time"
    if moved is not None:
        return "on_time" if moved[0] <= moved[1] else "late"
    return outcome(status, due_at, answered_at or closed_at, now)


def build_report(
    session: Session,
    period: Period,
    now: datetime,
    unit_id: str | None = None,
    *,
    within: Collection[str] | None = None,
    calendar: WorkingCalendar | None = None,
) -> Report:
    """All figures of the period for one unit, or every unit when ``unit_id`` is None.

    ``within`` limits the items to those units (a leader's own units); None means no limit.
    ``calendar`` counts the working days of the prolonged rule (default: the packaged rules'
    calendar; the web and ``pakn report`` pass the one with the admins' days off).
    """
    start, end = period.bounds()
    query = select(*_COLUMNS).where(
        Item.by_page.is_(False), Item.created_time >= start, Item.created_time < end
    )
    if unit_id is not None:
        query = query.where(Item.unit_id == unit_id)
    if within is not None:
        query = query.where(Item.unit_id.in_(sorted(within)))
    report = Report(
        period,
        unit_id,
        now,
        within=None if within is None else frozenset(within),
        per_day={d: Counter() for d in period.days()},
    )
    slices: dict[str, dict[str | None, Tally]] = {d: {} for d in DIMENSIONS}
    ack: list[float] = []
    answer: list[float] = []
    overdue_ids: list[int] = []
    urgent_ids: list[int] = []
    for row in session.execute(query.order_by(Item.created_time, Item.id)).mappings():
        result = _cohort_outcome(row, now)
        report.totals.add(result)
        for dim in DIMENSIONS:
            slices[dim].setdefault(row[dim], Tally(row[dim])).add(result)
        _hours(ack, row["created_time"], row["acknowledged_at"])
        first_answer = row["first_answered_at"] if row["reopened_at"] else row["answered_at"]
        _hours(answer, row["created_time"], first_answer)
        day = row["created_time"].astimezone(VIETNAM_TZ).date()
        report.per_day.setdefault(day, Counter())[row["category"] or ""] += 1
        if result == "overdue":
            overdue_ids.append(row["id"])
        if row["urgent"]:
            urgent_ids.append(row["id"])
    report.by = {dim: _sorted(slices[dim].values()) for dim in DIMENSIONS}
    report.avg_ack_hours = sum(ack) / len(ack) if ack else None
    report.avg_answer_hours = sum(answer) / len(answer) if answer else None
    report.overdue_items = listed(session, overdue_ids, now)
    report.urgent_items = listed(session, urgent_ids, now)
    scope = scope_units(unit_id, within)
    found = prolonged_in(session, period, now, calendar or load_policy().calendar, scope)
    report.prolonged_items = listed_prolonged(session, found, now)
    report.overdue_now = overdue_now(session, now, scope)
    report.reopened = reopened_rounds(session, period, now, scope)
    report.unit_names = {u.id: u.name for u in session.scalars(select(Unit))}
    return report


def _cohort_outcome(row: Any, now: datetime) -> str:
    first = first_round(row["reopened_at"], row["first_due_at"], row["first_handled_at"])
    moved = moved_of(
        row["status"], row["answered_at"], row["moved_at"], row["moved_due"], row["reopened_at"]
    )
    return item_outcome(
        row["status"], row["due_at"], row["answered_at"], row["closed_at"], moved, now, first
    )


def reopened_rounds(
    session: Session, period: Period, now: datetime, units: Collection[str] | None
) -> Tally:
    """The second rounds a citizen's rating started in ``period``, each by its outcome now,
    measured against its fresh deadline (whenever the item was received)."""
    start, end = period.bounds()
    query = select(
        Item.status, Item.due_at, Item.answered_at, Item.closed_at, Item.reopened_at, *MOVED_COLUMNS
    ).where(Item.by_page.is_(False), Item.reopened_at >= start, Item.reopened_at < end)
    if units is not None:
        query = query.where(Item.unit_id.in_(sorted(units)))
    found = Tally()
    for status, due_at, answered_at, closed_at, reopened_at, at, due in session.execute(query):
        moved = moved_of(status, answered_at, at, due, reopened_at)
        found.add(item_outcome(status, due_at, answered_at, closed_at, moved, now))
    return found


def scope_units(unit_id: str | None, within: Collection[str] | None) -> Collection[str] | None:
    """The units a report covers: one, the viewer's, or None for every unit."""
    if unit_id is not None:
        return {unit_id}
    return within


def overdue_now(session: Session, now: datetime, units: Collection[str] | None) -> int:
    """Open citizen items past their deadline now, whenever received (the queue's "Quá hạn")."""
    query = select(func.count()).where(
        Item.by_page.is_(False), Item.status.in_(RUNNING_STATUSES), Item.due_at < now
    )
    if units is not None:
        query = query.where(Item.unit_id.in_(sorted(units)))
    return int(session.scalar(query) or 0)


def listed_prolonged(
    session: Session, found: dict[int, Prolonged], now: datetime
) -> list[ListedItem]:
    return [
        dataclasses.replace(item, note=found[item.id].describe())
        for item in listed(session, sorted(found), now)
    ]


def _hours(out: list[float], start: datetime, end: datetime | None) -> None:
    if end is not None:
        out.append(max((end - start).total_seconds(), 0.0) / 3600)


def _sorted(tallies: Iterable[Tally]) -> list[Tally]:
    return sorted(tallies, key=lambda t: (-t.received, t.key or "\uffff"))


def listed(session: Session, ids: Sequence[int], now: datetime) -> list[ListedItem]:
    """The items for the report's lists, denouncers masked (a report file travels: nobody is
    entitled in it, storage.visibility), oldest first."""
    out: list[ListedItem] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        items = list(session.scalars(select(Item).where(Item.id.in_(chunk))))
        moved = moved_by_item(session, chunk)
        shield = shield_for(session, items)
        out += [_listed(item, shield.guard(item), moved.get(item.id), now) for item in items]
    return sorted(out, key=lambda i: (i.received_at, i.id))


def moved_by_item(session: Session, ids: Sequence[int]) -> dict[int, Moved]:
    """The transfers that handled the items among ``ids`` (``moved_of``)."""
    rows = session.execute(
        select(Item.id, Item.status, Item.answered_at, Item.reopened_at, *MOVED_COLUMNS).where(
            Item.id.in_(ids)
        )
    )
    found = {
        i: moved_of(status, answered, at, due, reopened)
        for i, status, answered, reopened, at, due in rows
    }
    return {i: m for i, m in found.items() if m is not None}


def _listed(item: Item, guard: Guard | None, moved: Moved | None, now: datetime) -> ListedItem:
    shown = reveal(item, guard, None, MASKED_AUTHOR)
    return ListedItem(
        id=item.id,
        received_at=item.created_time,
        unit_id=item.unit_id,
        source=item.source,
        category=item.category,
        field=item.field,
        department=item.department,
        status=item.status,
        urgent=item.urgent,
        due_at=item.due_at,
        author=shown.author_name or "",
        excerpt=excerpt(shown.text, 200),
        outcome=item_outcome(
            item.status,
            item.due_at,
            item.answered_at,
            item.closed_at,
            moved,
            now,
            first_round(item.reopened_at, item.first_due_at, item.first_handled_at),
        ),
    )


def summary_rows(report: Report) -> list[tuple[str, Any]]:
    """The summary table, in the order the leadership reads it (label, value)."""
    t, r = report.totals, report.reopened
    return [
        ("Tổng số tiếp nhận", t.received),
        ("Đã xử lý đúng hạn", t.on_time),
        ("Đã xử lý trễ hạn", t.late),
        ("Đang xử lý, còn hạn", t.open),
        ("Quá hạn, chưa xử lý", t.overdue),
        (DUE_LABEL, t.due),
        (RATE_LABEL, percent(t.on_time_rate)),
        (PROLONGED_LABEL, len(report.prolonged_items)),
        (OVERDUE_NOW_LABEL, report.overdue_now),
        (REOPENED_LABEL, r.received),
        ("Mở lại: xử lý lại đúng hạn", r.on_time),
        ("Mở lại: xử lý lại trễ hạn", r.late),
        ("Mở lại: đang xử lý lại, còn hạn", r.open),
        ("Mở lại: quá hạn mới, chưa xử lý", r.overdue),
        ("Thời gian tiếp nhận trung bình (giờ)", _round(report.avg_ack_hours)),
        ("Thời gian trả lời trung bình (giờ)", _round(report.avg_answer_hours)),
        ("Số phản ánh khẩn", len(report.urgent_items)),
    ]


DUE_LABEL = "Đã đến hạn (đúng hạn + trễ hạn + quá hạn)"
RATE_LABEL = "Tỷ lệ xử lý đúng hạn (%) = đúng hạn / đã đến hạn"
PROLONGED_LABEL = (
    f"Kéo dài (quá hạn hơn {MARGIN_WORKING_DAYS} ngày làm việc, hoặc được gia hạn), mọi kỳ nhận"
)
OVERDUE_NOW_LABEL = "Đang quá hạn lúc lập báo cáo, mọi kỳ nhận"
REOPENED_LABEL = (
    "Mở lại do chưa hài lòng trong kỳ (vòng xử lý lại, hạn mới; không tính vào tỷ lệ đúng hạn)"
)


def percent(rate: float | None) -> float | None:
    """A rate as a percentage, rounded down to 0.1 as every surface prints it: 199 items on
    time out of 200 is 99.5 %, and 1999 out of 2000 is 99.9 %, never "100 %"."""
    return None if rate is None else math.floor(round(rate * 1000, 6)) / 10


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass(frozen=True)
class Backlog:
    """Open items of one department right now, whenever they were received."""

    department: str | None
    open: int
    overdue: int


def open_backlog(
    session: Session, now: datetime, within: Collection[str] | None = None
) -> list[Backlog]:
    """Open citizen items per department, most loaded first."""
    overdue = func.sum(case((Item.due_at < now, 1), else_=0))
    query = (
        select(Item.department, func.count(), overdue)
        .where(Item.by_page.is_(False), Item.status.in_(RUNNING_STATUSES))
        .group_by(Item.department)
    )
    if within is not None:
        query = query.where(Item.unit_id.in_(sorted(within)))
    rows = [Backlog(d, int(n), int(late or 0)) for d, n, late in session.execute(query).all()]
    return sorted(rows, key=lambda b: (-b.open, b.department or "\uffff"))


@dataclass
class OfficerTally:
    """One officer's share of the cohort (``figures``, keyed by the assignee's user id as a
    string; None for the items nobody holds) and of ``overdue_now``. The rows of a report add
    up to its totals: each item is counted for the officer it is assigned to now."""

    figures: Tally
    overdue_now: int = 0

    @property
    def handled(self) -> int:
        """Answered or otherwise handled (on time or late), as the outcomes define it."""
        return self.figures.on_time + self.figures.late


def by_assignee(
    session: Session,
    period: Period,
    now: datetime,
    units: Collection[str] | None,
) -> list[OfficerTally]:
    """Per assignee, the cohort of build_report (same WHERE, same outcome of each item) and the
    open items past their deadline now (same WHERE as overdue_now)."""
    start, end = period.bounds()
    query = select(*_COLUMNS, Item.assignee_id).where(
        Item.by_page.is_(False), Item.created_time >= start, Item.created_time < end
    )
    late_now = select(Item.assignee_id, func.count()).where(
        Item.by_page.is_(False), Item.status.in_(RUNNING_STATUSES), Item.due_at < now
    )
    if units is not None:
        query = query.where(Item.unit_id.in_(sorted(units)))
        late_now = late_now.where(Item.unit_id.in_(sorted(units)))
    rows: dict[str | None, OfficerTally] = {}
    for row in session.execute(query).mappings():
        key = None if row["assignee_id"] is None else str(row["assignee_id"])
        rows.setdefault(key, OfficerTally(Tally(key))).figures.add(_cohort_outcome(row, now))
    for assignee_id, count in session.execute(late_now.group_by(Item.assignee_id)):
        key = None if assignee_id is None else str(assignee_id)
        rows.setdefault(key, OfficerTally(Tally(key))).overdue_now = int(count)
    ordered = _sorted(r.figures for r in rows.values())
    return [rows[t.key] for t in ordered]
