"""A citizen's "chưa hài lòng" starts a second handling round (storage/satisfaction.py): the
first keeps its result in its period's figures, the second gets a fresh deadline counted from
the reopening and is counted apart (storage/reports.py, storage/prolonged.py,
storage/scorecard.py). An officer's own reopening keeps the old deadline.

Known dates (Việt Nam, 2026): 30 April and 1 May are public holidays; the admins add Tuesday
5 May as a day off. The item is received on Monday 20 April, answered on Wednesday 22 April
(on time) and rated "chưa hài lòng" on Friday 1 May at 09:00, so its second round is due at the
end of Monday 11 May: 2–3 May weekend, 4 May, (5 May off), 6, 7, 8 May, 9–10 May weekend, 11 May.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage.calendar_days import deadline_policy, recompute_open_deadlines
from storage.deadlines import DeadlinePolicy, load_policy
from storage.poll_state import sync_pages
from storage.prolonged import prolonged_in, threshold
from storage.report_periods import month_of
from storage.reports import build_report
from storage.review_queue import change_status
from storage.satisfaction import rate
from storage.scorecard import build_scorecard
from storage.tables import AuditEntry, CalendarDay, Item, User, UserUnit
from tests.storage.known_month import at, end_of

UNIT = "cam-giang"
APRIL, MAY = month_of(date(2026, 4, 1)), month_of(date(2026, 5, 1))
RECEIVED, ANSWERED, RATED = at(20, 4), at(22, 4, hour=10), at(1, 5)
NEW_DUE = end_of(11, 5)
LATER = at(15, 5, hour=10)  # the reports are made on 15 May


def _world(s: Session) -> int:
    """The unit, a leader, and the admins' day off on 5 May; the leader's id."""
    sync_pages(s, [(UNIT, "UBND xã Cẩm Giàng", "xa")], [])
    s.add(CalendarDay(day=date(2026, 5, 5), kind="off", note="Nghỉ theo quyết định của tỉnh"))
    leader = User(
        username="lanhdao",
        display_name="Lãnh Đạo",
        password_hash="test-hash",
        role="leader",
        created_at=RECEIVED,
    )
    s.add(leader)
    s.flush()
    s.add(UserUnit(user_id=leader.id, unit_id=UNIT))
    return leader.id


def _answered(
    s: Session, policy: DeadlinePolicy, n: int, received: datetime, answered: datetime
) -> Item:
    item = Item(
        source="facebook_comment",
        external_id=f"round-{n}",
        unit_id=UNIT,
        author_id=f"u-{n}",
        author_name=f"Người dân {n}",
        text=f"Đèn đường thôn {n} hỏng",
        content_hash=f"round-{n}",
        created_time=received,
        first_seen_at=received,
        last_seen_at=received,
        category="phan_anh",
        field="ha_tang_moi_truong",
        status="answered",
        answered_at=answered,
    )
    item.due_at, item.deadline_rule = policy.deadline("phan_anh", False, received)
    s.add(item)
    s.flush()
    return item


def _reopened(sessions: sessionmaker[Session]) -> tuple[int, int, datetime]:
    """The known item, rated "chưa hài lòng" on 1 May: (item id, leader id, first deadline)."""
    with sessions.begin() as s:
        leader = _world(s)
        policy = deadline_policy(None, s)
        item = _answered(s, policy, 1, RECEIVED, ANSWERED)
        first_due = item.due_at
        assert first_due is not None and ANSWERED < first_due < RATED
        rate(s, item, satisfied=False, reason="Đèn vẫn chưa sáng", now=RATED, policy=policy)
        return item.id, leader, first_due


def test_an_answer_on_time_in_april_stays_on_time_in_aprils_figures_after_a_may_rating(
    sessions: sessionmaker[Session],
) -> None:
    _reopened(sessions)
    with sessions.begin() as s:
        april = build_report(s, APRIL, LATER, UNIT)
        card = build_scorecard(s, APRIL, LATER, {UNIT}, load_policy().calendar)
    t = april.totals
    assert (t.received, t.on_time, t.late, t.open, t.overdue) == (1, 1, 0, 0, 0)
    assert april.avg_answer_hours == 49  # 20 April 09:00 → 22 April 10:00, the first answer
    assert april.prolonged_items == [] and april.reopened.received == 0
    # Chỉ số 8 counts the item once, by its first round: full points for April.
    assert card.units[0].points == 2 and card.units[0].tally.on_time == 1


def test_the_new_deadline_counts_from_the_reopening_skipping_weekends_holidays_and_days_off(
    sessions: sessionmaker[Session],
) -> None:
    item_id, _leader, first_due = _reopened(sessions)
    with sessions.begin() as s:
        item = s.get(Item, item_id)
        assert item is not None
        assert (item.status, item.due_at, item.reopened_at) == ("reopened", NEW_DUE, RATED)
        assert (item.first_due_at, item.first_handled_at) == (first_due, ANSWERED)
        assert (item.first_answered_at, item.answered_at) == (ANSWERED, None)
        entry = s.scalars(
            select(AuditEntry).where(
                AuditEntry.item_id == item_id, AuditEntry.action == "deadline_renewed"
            )
        ).one()
    assert entry.user_id is None and entry.at == RATED
    assert json.loads(entry.before or "{}") == {
        "due_at": first_due.isoformat(),
        "deadline_rule": "phan_anh_mac_dinh",
    }
    assert json.loads(entry.after or "{}") == {
        "due_at": NEW_DUE.isoformat(),
        "deadline_rule": "phan_anh_mac_dinh",
    }


def test_the_reopened_round_is_counted_apart_in_the_period_it_was_reopened(
    sessions: sessionmaker[Session],
) -> None:
    item_id, leader, _first_due = _reopened(sessions)
    with sessions.begin() as s:
        in_time = build_report(s, MAY, at(6, 5), UNIT)
        past = build_report(s, MAY, LATER, UNIT)
        card = build_scorecard(s, MAY, LATER, {UNIT}, load_policy().calendar)
    assert in_time.totals.received == 0  # nothing received in May: the item is April's
    r = in_time.reopened
    assert (r.received, r.on_time, r.late, r.open, r.overdue) == (1, 0, 0, 1, 0)
    assert (past.reopened.overdue, past.overdue_now) == (1, 1)
    line = card.units[0]
    assert line.reopened.received == 1 and line.satisfaction.unsatisfied == 1
    assert line.tally.due == 0 and line.points == 2  # the on-time rate never counts it

    with sessions.begin() as s:  # answered again on 12 May: a day after its new deadline
        item = s.get(Item, item_id)
        assert item is not None
        change_status(s, item, "in_progress", leader, at(11, 5))
        change_status(s, item, "answered", leader, at(12, 5))
        may = build_report(s, MAY, LATER, UNIT)
        april = build_report(s, APRIL, LATER, UNIT)
    assert (may.reopened.late, may.reopened.overdue, may.overdue_now) == (1, 0, 0)
    assert (april.totals.on_time, april.avg_answer_hours) == (1, 49)


def test_an_officers_own_reopening_keeps_the_old_deadline(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        leader = _world(s)
        item = _answered(s, deadline_policy(None, s), 2, RECEIVED, ANSWERED)
        first_due = item.due_at
        change_status(s, item, "reopened", leader, RATED)
        assert (item.due_at, item.reopened_at, item.first_due_at) == (first_due, None, None)
        renewed = s.scalars(select(AuditEntry).where(AuditEntry.action == "deadline_renewed")).all()
        april = build_report(s, APRIL, LATER, UNIT)
    assert renewed == []
    # The first answer was not the last word: the item counts by its own deadline, overdue.
    assert (april.totals.on_time, april.totals.overdue, april.reopened.received) == (0, 1, 0)


def test_a_first_round_handled_past_the_margin_stays_prolonged_in_its_period(
    sessions: sessionmaker[Session],
) -> None:
    calendar = load_policy().calendar
    with sessions.begin() as s:
        _world(s)
        policy = deadline_policy(None, s)
        item = _answered(s, policy, 3, at(1, 4), at(29, 4))
        assert item.due_at is not None and threshold(calendar, item.due_at) < at(29, 4)
        rate(s, item, satisfied=False, reason=None, now=at(4, 5), policy=policy)
        found = prolonged_in(s, APRIL, LATER, calendar, {UNIT})
        april = build_report(s, APRIL, LATER, UNIT)
    assert found[item.id].reasons == ["first_late"]
    assert "Lần xử lý đầu" in found[item.id].describe()
    assert (april.totals.late, [i.id for i in april.prolonged_items]) == (1, [item.id])


def test_a_new_calendar_recomputes_a_second_round_from_the_reopening(
    sessions: sessionmaker[Session],
) -> None:
    item_id, _leader, _first_due = _reopened(sessions)
    with sessions.begin() as s:
        s.delete(s.get(CalendarDay, date(2026, 5, 5)))
        s.flush()
        moved = recompute_open_deadlines(s, deadline_policy(None, s), user_id=None, now=LATER)
        item = s.get(Item, item_id)
        assert item is not None
    assert moved == 1 and item.due_at == end_of(8, 5)  # 4–8 May, 5 May worked again
    assert item.due_at - NEW_DUE == timedelta(days=-3)
