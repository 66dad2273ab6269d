"""Citizens' ratings of the answers they got, and the counts a scorecard needs.

The status page asks once per item: "hài lòng" or "chưa hài lòng", with an optional reason.
The first rating stands (insert-or-ignore on the item, whatever cookies the browser keeps or
drops). "Chưa hài lòng" reopens the item (status ``reopened``, flagged ``unsatisfied``,
audited as the system's doing) so that a leader decides what happens next, and starts a second
handling round: the first is frozen for the figures of its period (storage/handling.py) and
the item gets a fresh deadline from the day of the rating by its category's rule, audited with
the old and the new one. Only the citizen's rating does this: an officer who reopens an item
(storage/review_queue.py) keeps its deadline, or closing early and reopening would buy time
(README, "Reports: what each figure counts"). The National
Public Service Portal ranks communes on the satisfaction rate of feedback handling:
``satisfaction_counts`` gives it per unit and period.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.audit import record as audit
from storage.deadlines import DeadlinePolicy
from storage.handling import latest_move
from storage.report_periods import Period
from storage.tables import Item, Rating, Unit

# The answer is there to be rated once the item is answered (or closed after an answer).
RATABLE = ("answered", "closed")
REASON_MAX = 1000
UNSATISFIED_FLAG = "unsatisfied"


class RatingRefusedError(ValueError):
    """The rating cannot be taken; the message says why (shown to the citizen)."""


@dataclass(frozen=True)
class Satisfaction:
    satisfied: int = 0
    unsatisfied: int = 0

    @property
    def rated(self) -> int:
        return self.satisfied + self.unsatisfied

    @property
    def rate(self) -> float | None:
        """Share of satisfied ratings; None when nobody rated."""
        return self.satisfied / self.rated if self.rated else None


def rating_of(session: Session, item_id: int) -> Rating | None:
    return session.get(Rating, item_id)


def may_rate(session: Session, item: Item) -> bool:
    return item.status in RATABLE and not item.by_page and rating_of(session, item.id) is None


def rate(
    session: Session,
    item: Item,
    *,
    satisfied: bool,
    reason: str | None,
    now: datetime,
    policy: DeadlinePolicy,
) -> Rating:
    """Store the citizen's rating; the first one counts, a second is refused. ``policy`` gives
    the fresh deadline of an item the rating reopens (the rules on the admins' calendar)."""
    if item.by_page or item.status not in RATABLE:
        raise RatingRefusedError(
            "Mục này chưa có câu trả lời để đánh giá; hãy quay lại khi trạng thái là 'Đã trả lời'."
        )
    cleaned = (reason or "").strip()[:REASON_MAX] or None
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stored = session.execute(
        module.insert(Rating)
        .values(
            item_id=item.id,
            unit_id=item.unit_id,
            satisfied=satisfied,
            reason=cleaned,
            rated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["item_id"])
        .returning(Rating.item_id)
    ).scalar()
    if stored is None:  # the row was there: someone rated first
        raise RatingRefusedError("Mục này đã được đánh giá; mỗi mục chỉ đánh giá một lần.")
    audit(session, None, "rated", item.id, None, {"satisfied": satisfied}, now)
    if not satisfied:
        first = _first_round(session, item)
        _reopen(session, item, now)
        _new_round(session, item, first, now, policy)
    rating = session.get(Rating, item.id)
    if rating is None:  # pragma: no cover - written just above
        raise RuntimeError(f"rating of item {item.id} vanished")
    return rating


def _reopen(session: Session, item: Item, now: datetime) -> None:
    """Back to the leader: reopened and flagged, as the system's doing."""
    before = item.status
    item.status, item.closed_at = "reopened", None
    reasons = [r for r in (item.flag_reasons or "").split(",") if r]
    if UNSATISFIED_FLAG not in reasons:
        reasons.append(UNSATISFIED_FLAG)
    item.flagged, item.flag_reasons = True, ",".join(reasons)
    after = {"status": "reopened", "reason": "citizen_unsatisfied"}
    audit(session, None, "status", item.id, {"status": before}, after, now)


# The first round as the rating found it: (deadline, handled at, answered at).
_Round = tuple[datetime | None, datetime | None, datetime | None]


def _first_round(session: Session, item: Item) -> _Round:
    """A transfer that handled the first round is its handling, measured by the transfer's
    clock (storage/handling.py), as the figures measured it."""
    moved = latest_move(session, item)
    if moved is not None:
        return moved[1], moved[0], item.answered_at
    return item.due_at, item.answered_at or item.closed_at, item.answered_at


def _new_round(
    session: Session, item: Item, first: _Round, now: datetime, policy: DeadlinePolicy
) -> None:
    """Freeze the first round and give the second its own deadline, counted from ``now``."""
    item.first_due_at, item.first_handled_at, item.first_answered_at = first
    item.reopened_at, item.answered_at, item.closed_at = now, None, None
    due, rule = policy.deadline(item.category, bool(item.urgent), now)
    before = {"due_at": _iso(item.due_at), "deadline_rule": item.deadline_rule}
    item.due_at, item.deadline_rule = due, rule
    after = {"due_at": _iso(due), "deadline_rule": rule}
    audit(session, None, "deadline_renewed", item.id, before, after, now)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def satisfaction_counts(
    session: Session, units: Iterable[str] | None, period: Period
) -> dict[str, Satisfaction]:
    """Ratings given within ``period`` (local dates), per unit; every unit asked for is
    present, with zeros if nobody rated. ``units`` None: every unit."""
    start, end = period.bounds()
    wanted = sorted(set(units)) if units is not None else list(session.scalars(select(Unit.id)))
    counts = {unit_id: Satisfaction() for unit_id in wanted}
    rows = session.execute(
        select(Rating.unit_id, Rating.satisfied, func.count())
        .where(Rating.unit_id.in_(wanted), Rating.rated_at >= start, Rating.rated_at < end)
        .group_by(Rating.unit_id, Rating.satisfied)
    )
    for unit_id, satisfied, count in rows:
        found = counts[unit_id]
        counts[unit_id] = Satisfaction(
            found.satisfied + (count if satisfied else 0),
            found.unsatisfied + (0 if satisfied else count),
        )
    return counts
