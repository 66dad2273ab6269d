"""The leaders' scorecard for a period, per unit and across a city's units.

What each line counts (README, "Reports: what each figure counts"):

- chỉ số 8 (TT 01/2018/TT-VPCP, Điều 13): the on-time rate of storage/reports.py (items
  received in the period; on time / due), the prolonged items of storage/prolonged.py, and
  the points: 2 when every item due was handled on time and none was prolonged (also when
  nothing was due yet), 1 at ≥ 90 % with none prolonged, 0 below 90 % or with any prolonged;
- satisfaction: citizens' ratings given in the period (storage/satisfaction.py), and beside
  them the items a "chưa hài lòng" reopened in the period, with the outcome of each second
  round against its fresh deadline (``Report.reopened``; outside the on-time rate, which counts
  each item once, by its first round);
- published: answers made public in the period that the public pages still show (no
  denunciation, no confidential item, nothing its sender deleted) (storage/publication.py);
- transfers: transfers made in the period, and those made by their 05-working-day deadline
  (NĐ 20/2008 Điều 9.1.d; Luật Tố cáo 2018 Điều 24.2) (storage/transfers.py);
- feedback about officials: items received in the period labelled tố cáo or khiếu nại that
  are about an official (``about_official``: the field is "hành chính", or the text names an
  official by one of ``OFFICIAL_WORDS``), with their outcome and whether a leader gave a
  direction on them;
- urgent items: received in the period and marked urgent, with the time from receipt to the
  first action a person took on them (the first audited change by a signed-in user: labels,
  status, assignment, note, reply, proposal; looking at it does not count), "in time" when
  that came before the item's deadline.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.handling import first_round
from storage.proposals import DIRECTED, proposals_for
from storage.report_periods import Period
from storage.reports import (
    ListedItem,
    Report,
    Tally,
    build_report,
    item_outcome,
    listed,
    moved_by_item,
)
from storage.satisfaction import Satisfaction, satisfaction_counts
from storage.search_text import fold
from storage.tables import AuditEntry, Item, Publication, Transfer, Unit
from storage.workdays import WorkingCalendar

# Words that name an official, folded (storage.search_text.fold): matched as whole words.
OFFICIAL_WORDS = (
    "can bo",
    "cong chuc",
    "vien chuc",
    "chu tich",
    "lanh dao xa",
    "lanh dao phuong",
    "mot cua",
    "dia chinh",
    "tu phap",
    "truong thon",
    "to truong",
    "cong an xa",
    "cong an phuong",
    "nhan vien xa",
    "nhan vien phuong",
)
OFFICIAL_CATEGORIES = ("to_cao", "khieu_nai")


@dataclass(frozen=True)
class Transfers:
    made: int = 0
    in_time: int = 0


@dataclass
class Officials:
    """Feedback about officials' conduct received in the period, by outcome."""

    tally: Tally = field(default_factory=Tally)
    directed: int = 0
    items: list[ListedItem] = field(default_factory=list)


@dataclass(frozen=True)
class UrgentItem:
    item: ListedItem
    first_action_at: datetime | None

    @property
    def minutes(self) -> float | None:
        if self.first_action_at is None:
            return None
        return max((self.first_action_at - self.item.received_at).total_seconds(), 0) / 60

    @property
    def in_time(self) -> bool:
        due = self.item.due_at
        return self.first_action_at is not None and (due is None or self.first_action_at <= due)


@dataclass
class UnitScore:
    """One unit's line, or the line of every unit together (``unit_id`` None)."""

    unit_id: str | None
    name: str
    report: Report
    satisfaction: Satisfaction
    published: int
    transfers: Transfers
    officials: Officials
    urgent: list[UrgentItem]

    @property
    def tally(self) -> Tally:
        return self.report.totals

    @property
    def reopened(self) -> Tally:
        """Second rounds a citizen's "chưa hài lòng" started in the period."""
        return self.report.reopened

    @property
    def prolonged(self) -> list[ListedItem]:
        return self.report.prolonged_items

    @property
    def points(self) -> int:
        return points(self.tally, len(self.prolonged))

    @property
    def urgent_in_time(self) -> int:
        return sum(u.in_time for u in self.urgent)

    @property
    def urgent_median_minutes(self) -> float | None:
        found = [u.minutes for u in self.urgent if u.minutes is not None]
        return median(found) if found else None


@dataclass
class Scorecard:
    period: Period
    generated_at: datetime
    units: list[UnitScore]
    total: UnitScore | None  # None when the scorecard covers one unit


def points(tally: Tally, prolonged: int) -> int:
    """Chỉ số 8: 2, 1 or 0 (TT 01/2018/TT-VPCP, Điều 13)."""
    if prolonged:
        return 0
    if tally.on_time == tally.due:  # every item due on time (or none due yet)
        return 2
    return 1 if tally.on_time * 10 >= tally.due * 9 else 0


def about_official(item: Item) -> bool:
    """A tố cáo or khiếu nại about an official's conduct (the rule in the module's docstring)."""
    if item.category not in OFFICIAL_CATEGORIES:
        return False
    if item.field == "hanh_chinh":
        return True
    words = f" {fold(item.text or '')} "
    return any(f" {word} " in words for word in OFFICIAL_WORDS)


def build_scorecard(
    session: Session,
    period: Period,
    now: datetime,
    units: Collection[str] | None,
    calendar: WorkingCalendar,
) -> Scorecard:
    """Every unit of ``units`` (None: every unit), and their total when there are several."""
    names = {u.id: u.name for u in session.scalars(select(Unit).order_by(Unit.name))}
    chosen = [u for u in names if units is None or u in units]
    ratings = satisfaction_counts(session, chosen, period)
    published = _published(session, chosen, period)
    transfers = _transfers(session, chosen, period)
    lines = [
        _line(
            session,
            build_report(session, period, now, unit_id, calendar=calendar),
            names[unit_id],
            ratings[unit_id],
            published.get(unit_id, 0),
            transfers.get(unit_id, Transfers()),
        )
        for unit_id in chosen
    ]
    total = None
    if len(chosen) > 1:
        total = _line(
            session,
            build_report(session, period, now, None, within=chosen, calendar=calendar),
            f"Toàn bộ {len(chosen)} đơn vị",
            Satisfaction(
                sum(r.satisfied for r in ratings.values()),
                sum(r.unsatisfied for r in ratings.values()),
            ),
            sum(published.values()),
            Transfers(
                sum(t.made for t in transfers.values()),
                sum(t.in_time for t in transfers.values()),
            ),
        )
    return Scorecard(period, now, lines, total)


def _line(
    session: Session,
    report: Report,
    name: str,
    ratings: Satisfaction,
    published: int,
    transfers: Transfers,
) -> UnitScore:
    now = report.generated_at
    cohort = _cohort(session, report)
    return UnitScore(
        unit_id=report.unit_id,
        name=name,
        report=report,
        satisfaction=ratings,
        published=published,
        transfers=transfers,
        officials=_officials(session, [i for i in cohort if about_official(i)], now),
        urgent=_urgent(session, [i for i in cohort if i.urgent], now),
    )


def _cohort(session: Session, report: Report) -> list[Item]:
    start, end = report.period.bounds()
    query = select(Item).where(
        Item.by_page.is_(False), Item.created_time >= start, Item.created_time < end
    )
    if report.unit_id is not None:
        query = query.where(Item.unit_id == report.unit_id)
    elif report.within is not None:
        query = query.where(Item.unit_id.in_(sorted(report.within)))
    return list(session.scalars(query.order_by(Item.created_time, Item.id)))


def _officials(session: Session, items: Sequence[Item], now: datetime) -> Officials:
    found = Officials()
    directions = proposals_for(session, [i.id for i in items])
    moved = moved_by_item(session, [i.id for i in items])
    for item in items:
        first = first_round(item.reopened_at, item.first_due_at, item.first_handled_at)
        found.tally.add(
            item_outcome(
                item.status,
                item.due_at,
                item.answered_at,
                item.closed_at,
                moved.get(item.id),
                now,
                first,
            )
        )
        found.directed += any(p.state in DIRECTED for p in directions[item.id])
    found.items = listed(session, [i.id for i in items], now)
    return found


def _urgent(session: Session, items: Sequence[Item], now: datetime) -> list[UrgentItem]:
    ids = [i.id for i in items]
    first: dict[int, datetime] = {}
    if ids:
        rows = session.execute(
            select(AuditEntry.item_id, func.min(AuditEntry.at))
            .where(
                AuditEntry.item_id.in_(ids),
                AuditEntry.user_id.is_not(None),
                AuditEntry.action.not_like("view%"),
            )
            .group_by(AuditEntry.item_id)
        )
        first = {item_id: at for item_id, at in rows if item_id is not None}
    return [UrgentItem(i, first.get(i.id)) for i in listed(session, ids, now)]


def _published(session: Session, units: Sequence[str], period: Period) -> dict[str, int]:
    start, end = period.bounds()
    rows = session.execute(
        select(Publication.unit_id, func.count())
        .join(Item, Item.id == Publication.item_id)
        .where(
            Publication.unit_id.in_(units),
            Publication.published_at >= start,
            Publication.published_at < end,
            # What the public pages still show (storage/publication.py re-checks it at reads).
            Item.category.is_distinct_from("to_cao"),
            Item.confidential.is_(False),
            Item.by_page.is_(False),
            Item.deleted.is_(False),
        )
        .group_by(Publication.unit_id)
    )
    return {unit_id: int(n) for unit_id, n in rows}


def _transfers(session: Session, units: Sequence[str], period: Period) -> dict[str, Transfers]:
    start, end = period.bounds()
    rows = session.execute(
        select(Item.unit_id, Transfer.transferred_at, Transfer.due_at)
        .join(Item, Item.id == Transfer.item_id)
        .where(
            Item.unit_id.in_(units),
            Transfer.transferred_at >= start,
            Transfer.transferred_at < end,
        )
    )
    out: dict[str, Transfers] = {}
    for unit_id, transferred_at, due_at in rows:
        found = out.get(unit_id, Transfers())
        out[unit_id] = Transfers(found.made + 1, found.in_time + (transferred_at <= due_at))
    return out
