"""Which items were "kéo dài" (prolonged) in a period: the rule the scorecards count.

TT 01/2018/TT-VPCP, Điều 13, chỉ số 8 gives 2 points only when every item was handled on time
and none was prolonged, 1 point at ≥ 90 % on time with none prolonged, 0 otherwise. The
circular does not define "kéo dài"; pakn counts an item as prolonged in a period when, at some
moment of that period (up to the time of the report):

- ``open``: it was still not handled more than ``MARGIN_WORKING_DAYS`` working days after its
  deadline (whenever it was received: an old item left open stays prolonged every period
  until it is handled);
- ``late``: the same, for an item handled in the period after that margin;
- ``extended``: a leader's direction given in the period moved its deadline later than the
  item's own deadline (gia hạn, storage/proposals.py).

"Handled" is what storage/reports.py calls it: answered, closed or not actionable, at
``answered_at`` or else ``closed_at``; an item handled without a recorded time never counts. A
transferred item is handled at its transfer, measured against the transfer's 05-working-day
deadline instead of its own.

An item a citizen's "chưa hài lòng" reopened (storage/satisfaction.py) has two rounds, each
measured against its own deadline: the first, frozen (``first_due_at``, ``first_handled_at``),
is prolonged in the periods where it was (``first_late``: it was handled); the second, the
item as it stands, by its fresh deadline. An item left unhandled is prolonged whatever its
round.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from storage.handling import MOVED_COLUMNS, moved_of
from storage.proposals import DIRECTED
from storage.report_periods import Period
from storage.tables import RUNNING_STATUSES, Item, Proposal, ProposalItem
from storage.workdays import WorkingCalendar, to_local

MARGIN_WORKING_DAYS = 10
REASON_NAMES = {
    "open": f"Quá hạn hơn {MARGIN_WORKING_DAYS} ngày làm việc mà chưa xử lý xong",
    "late": f"Xử lý xong sau hạn hơn {MARGIN_WORKING_DAYS} ngày làm việc",
    "extended": "Được gia hạn theo chỉ đạo",
    "first_late": (
        f"Lần xử lý đầu xong sau hạn hơn {MARGIN_WORKING_DAYS} ngày làm việc "
        "(trước khi người dân chưa hài lòng, mở lại)"
    ),
}
SECOND_ROUND_NOTE = " (vòng xử lý lại sau khi người dân chưa hài lòng, tính từ hạn mới)"


@dataclass
class Prolonged:
    item_id: int
    reasons: list[str] = field(default_factory=list)
    # When it became prolonged: the deadline plus the margin, or the extending direction.
    since: datetime | None = None
    extended_to: datetime | None = None
    proposal_id: int | None = None
    # The "open" or "late" reason is the second round's, by its fresh deadline.
    second_round: bool = False

    def describe(self) -> str:
        parts = []
        for reason in self.reasons:
            text = REASON_NAMES[reason]
            if reason in ("open", "late") and self.second_round:
                text += SECOND_ROUND_NOTE
            if reason == "extended" and self.extended_to is not None:
                text += f" (đề xuất #{self.proposal_id}) đến {to_local(self.extended_to):%d/%m/%Y}"
            parts.append(text)
        return "; ".join(parts)


def threshold(calendar: WorkingCalendar, due_at: datetime) -> datetime:
    """The moment an item still open becomes prolonged: the end of the ``MARGIN``-th working
    day after the day of its deadline."""
    return calendar.add_working_days(due_at, MARGIN_WORKING_DAYS)


def prolonged_in(
    session: Session,
    period: Period,
    now: datetime,
    calendar: WorkingCalendar,
    units: Collection[str] | None = None,
) -> dict[int, Prolonged]:
    """The items prolonged in ``period`` (up to ``now``), by id; ``units`` None: every unit."""
    start, end = period.bounds()
    horizon = min(end, now)
    found: dict[int, Prolonged] = {}
    handled_at = func.coalesce(Item.answered_at, Item.closed_at)
    query = select(
        Item.id,
        Item.status,
        Item.due_at,
        Item.answered_at,
        Item.closed_at,
        Item.reopened_at,
        *MOVED_COLUMNS,
    ).where(
        Item.by_page.is_(False),
        Item.due_at.is_not(None),
        Item.due_at < horizon,
        Item.created_time < horizon,
        or_(Item.status.in_(RUNNING_STATUSES), and_(handled_at.is_not(None), handled_at >= start)),
    )
    if units is not None:
        query = query.where(Item.unit_id.in_(sorted(units)))
    rows = session.execute(query)
    for item_id, status, due_at, answered_at, closed_at, reopened_at, at, due in rows:
        moved = moved_of(status, answered_at, at, due, reopened_at)
        due_at = moved[1] if moved else due_at
        late_from = threshold(calendar, due_at or horizon)  # never None: filtered above
        if late_from >= horizon:
            continue
        second = reopened_at is not None
        if status in RUNNING_STATUSES:
            found[item_id] = Prolonged(item_id, ["open"], late_from, second_round=second)
            continue
        done = moved[0] if moved else (answered_at or closed_at)
        if done is not None and done > max(late_from, start):
            found[item_id] = Prolonged(item_id, ["late"], late_from, second_round=second)
    for item_id, late_from in _first_rounds(session, start, horizon, calendar, units):
        found.setdefault(item_id, Prolonged(item_id, [], late_from)).reasons.insert(0, "first_late")
    for item_id, proposal_id, directed_at, extended_to in _extensions(
        session, start, horizon, units
    ):
        entry = found.setdefault(item_id, Prolonged(item_id, [], directed_at))
        if "extended" not in entry.reasons:
            entry.reasons.append("extended")
        entry.extended_to, entry.proposal_id = extended_to, proposal_id
    return found


def _first_rounds(
    session: Session,
    start: datetime,
    horizon: datetime,
    calendar: WorkingCalendar,
    units: Collection[str] | None,
) -> list[tuple[int, datetime]]:
    """(item, limit) of the frozen first rounds of reopened items prolonged in the period:
    handled after their limit, and after the period began, the limit passed before its end."""
    query = select(Item.id, Item.first_due_at, Item.first_handled_at).where(
        Item.by_page.is_(False),
        Item.reopened_at.is_not(None),
        Item.first_due_at < horizon,
        Item.first_handled_at >= start,
        Item.first_handled_at > Item.first_due_at,
    )
    if units is not None:
        query = query.where(Item.unit_id.in_(sorted(units)))
    found = []
    for item_id, due_at, handled_at in session.execute(query):
        if due_at is None or handled_at is None:  # pragma: no cover - filtered above
            continue
        late_from = threshold(calendar, due_at)
        if late_from < horizon and handled_at > max(late_from, start):
            found.append((item_id, late_from))
    return found


def _extensions(
    session: Session, start: datetime, horizon: datetime, units: Collection[str] | None
) -> list[tuple[int, int, datetime, datetime]]:
    """(item, proposal, directed at, new deadline) of directions given in ``[start, horizon)``
    that moved an item's deadline later than its own."""
    query = (
        select(Item.id, Proposal.id, Proposal.directed_at, Proposal.directed_deadline)
        .join(ProposalItem, ProposalItem.item_id == Item.id)
        .join(Proposal, Proposal.id == ProposalItem.proposal_id)
        .where(
            Item.by_page.is_(False),
            Proposal.state.in_(DIRECTED),
            Proposal.directed_at >= start,
            Proposal.directed_at < horizon,
            Proposal.directed_deadline.is_not(None),
            Item.due_at.is_not(None),
            Proposal.directed_deadline > Item.due_at,
        )
        .order_by(Proposal.directed_at, Proposal.id)
    )
    if units is not None:
        query = query.where(Item.unit_id.in_(sorted(units)))
    rows = session.execute(query)
    return [(i, p, at, to) for i, p, at, to in rows if at is not None and to is not None]
