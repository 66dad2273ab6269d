"""The prolonged rule, chỉ số 8's points and every other line of the scorecard, per unit and
across a city's units (storage/prolonged.py, storage/scorecard.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from storage import proposals
from storage.audit import record as audit
from storage.deadlines import load_policy
from storage.prolonged import prolonged_in, threshold
from storage.publication import publish_result
from storage.report_periods import month_of
from storage.reports import Tally
from storage.satisfaction import rate
from storage.scorecard import about_official, build_scorecard, points
from storage.tables import Item
from storage.transfers import transfer
from storage.workdays import WorkingCalendar
from tests.storage.known_month import MARCH, NOW, PROLONGED, UNIT, at, build, end_of

POLICY = load_policy()
CALENDAR = POLICY.calendar


def tally(on_time: int, late: int = 0, overdue: int = 0, open_: int = 0) -> Tally:
    return Tally(None, on_time + late + overdue + open_, on_time, late, open_, overdue)


@pytest.mark.parametrize(
    ("figures", "prolonged", "expected"),
    [
        (tally(10), 0, 2),
        (tally(0, open_=3), 0, 2),  # nothing due yet: nothing was late
        (tally(9, late=1), 0, 1),  # exactly 90 %
        (tally(18, overdue=2), 0, 1),
        (tally(899, late=101), 0, 0),  # 89.9 %
        (tally(10), 1, 0),  # every item on time, but one prolonged
        (tally(9, late=1), 1, 0),
    ],
)
def test_chi_so_8_gives_two_one_or_zero_points(
    figures: Tally, prolonged: int, expected: int
) -> None:
    assert points(figures, prolonged) == expected


def test_an_item_becomes_prolonged_after_the_tenth_working_day_past_its_deadline() -> None:
    due = end_of(13)  # Friday 13 March 2026
    assert threshold(CALENDAR, due) == end_of(27)  # ten working days: 16–20, 23–27 March


def test_a_day_off_the_admins_added_moves_the_limit(sessions: sessionmaker[Session]) -> None:
    off = WorkingCalendar(extra_days_off={date(2026, 3, 20): "Nghỉ bù (thử)"})
    assert threshold(off, end_of(13)) == end_of(30)


def test_the_prolonged_rule_on_the_known_month(sessions: sessionmaker[Session]) -> None:
    month = build(sessions)
    with sessions.begin() as s:
        found = prolonged_in(s, MARCH, NOW, CALENDAR, {UNIT})
        in_february = prolonged_in(s, month_of(date(2026, 2, 1)), NOW, CALENDAR, {UNIT})
        still_march = prolonged_in(s, MARCH, at(27, hour=20).astimezone(NOW.tzinfo), CALENDAR)
    assert set(found) == month.of(*PROLONGED)
    reasons = {name: found[month.ids[name]].reasons for name in PROLONGED}
    assert reasons == {"d": ["late"], "e": ["open"], "h": ["extended"], "i": ["open"]}
    # In February nothing had passed its limit yet (i's limit is 6 March).
    assert in_february == {}
    # Seen on 27 March at 20:00, e's limit (27 March, 24:00) has not passed yet.
    assert month.ids["e"] not in still_march and month.ids["i"] in still_march


def _add(s: Session, n: int, unit: str, created: datetime, **fields: Any) -> Item:
    values: dict[str, Any] = {
        "source": "facebook_comment",
        "external_id": f"sc-{n}",
        "unit_id": unit,
        "author_id": f"sc-u{n}",
        "author_name": f"Người dân {n}",
        "text": f"Nội dung {n}",
        "content_hash": f"sc-{n}",
        "created_time": created,
        "first_seen_at": created,
        "last_seen_at": created,
        "category": "phan_anh",
        "field": "ha_tang_moi_truong",
        "status": "new",
        "due_at": created + timedelta(days=5),
    }
    values.update(fields)
    item = Item(**values)
    s.add(item)
    s.flush()
    return item


def test_feedback_about_officials_is_a_to_cao_or_khieu_nai_naming_one() -> None:
    def item(category: str, field: str, text: str) -> Item:
        return Item(category=category, field=field, text=text)

    assert about_official(item("to_cao", "khac", "Cán bộ địa chính đòi 2 triệu mới ký"))
    assert about_official(item("khieu_nai", "hanh_chinh", "Tôi bị từ chối hồ sơ không lý do"))
    assert about_official(item("to_cao", "an_ninh_trat_tu", "cong an xa bao ke quan nhau"))
    assert not about_official(item("to_cao", "an_ninh_trat_tu", "Tiệm điện thoại lừa người già"))
    assert not about_official(item("phan_anh", "hanh_chinh", "Cán bộ một cửa nói chuyện to"))


def test_every_line_of_the_scorecard_per_unit_and_for_the_city(
    sessions: sessionmaker[Session],
) -> None:
    month = build(sessions)
    with sessions.begin() as s:
        # Ái Quốc: one item on time, rated, published; one transfer in time.
        answered = _add(s, 1, "ai-quoc", at(3), status="answered", answered_at=at(4))
        rate(s, answered, satisfied=True, reason=None, now=at(5), policy=POLICY)
        publish_result(s, answered, "Đã sửa xong", month.leader, at(5))
        moved = _add(s, 2, "ai-quoc", at(10), status="in_triage", answered_at=None)
        transfer(s, moved, agency="Công an phường", reason="Không thuộc thẩm quyền",
                 user_id=month.officer, now=at(12), calendar=CALENDAR)  # fmt: skip
        # Cẩm Giàng: an unhappy rating, a late transfer, officials, urgent items.
        unhappy = s.get(Item, month.ids["a"])
        assert unhappy is not None
        rate(s, unhappy, satisfied=False, reason="Trả lời chung chung", now=at(6), policy=POLICY)
        late = _add(s, 3, UNIT, at(2), status="in_triage")
        transfer(s, late, agency="Sở Xây dựng", reason="Thẩm quyền của Sở",
                 user_id=month.officer, now=at(16), calendar=CALENDAR)  # fmt: skip
        official = _add(s, 4, UNIT, at(11), category="to_cao", field="hanh_chinh",
                        text="Cán bộ một cửa đòi tiền", status="answered",
                        answered_at=at(12))  # fmt: skip
        draft = proposals.Draft("Tố cáo cán bộ", "Giao thanh tra", None, None)
        found = proposals.propose(s, [official], draft, month.officer, at(11, hour=10))
        proposals.decide(s, found, "approved", "", month.leader, at(11, hour=11), version=0)
        quick = _add(s, 5, UNIT, at(18), urgent=True, due_at=at(18) + timedelta(hours=4))
        audit(
            s,
            month.leader,
            "view_confidential",
            quick.id,
            None,
            None,
            at(18) + timedelta(minutes=5),
        )
        audit(
            s,
            month.officer,
            "labels_confirmed",
            quick.id,
            None,
            None,
            at(18) + timedelta(minutes=30),
        )
        _add(s, 6, UNIT, at(19), urgent=True, due_at=at(19) + timedelta(hours=4))
        card = build_scorecard(s, MARCH, NOW, None, CALENDAR)

    lines = {line.unit_id: line for line in card.units}
    cam, ai = lines[UNIT], lines["ai-quoc"]
    assert card.total is not None and card.total.name == "Toàn bộ 2 đơn vị"
    assert (ai.satisfaction.satisfied, ai.satisfaction.unsatisfied) == (1, 0)
    assert (cam.satisfaction.satisfied, cam.satisfaction.unsatisfied) == (0, 1)
    assert card.total.satisfaction.rate == 0.5
    assert (ai.published, cam.published, card.total.published) == (1, 0, 1)
    assert (ai.transfers.made, ai.transfers.in_time) == (1, 1)
    assert (cam.transfers.made, cam.transfers.in_time) == (1, 0)  # 2 → 16 March: 10 days
    assert (card.total.transfers.made, card.total.transfers.in_time) == (2, 1)
    assert [i.id for i in cam.officials.items] == [official.id]
    assert (cam.officials.tally.on_time, cam.officials.directed) == (1, 1)
    urgent = {u.item.id: u for u in cam.urgent}
    assert urgent[quick.id].minutes == 30 and urgent[quick.id].in_time  # the look did not count
    assert not next(u for u in urgent.values() if u.item.id != quick.id).in_time
    assert (cam.urgent_in_time, len(cam.urgent), cam.urgent_median_minutes) == (1, 2, 30)
    # The unhappy rating reopened "a" on Friday 6 March. Its first round (answered 5 March,
    # due 9 March) stays on time in March's figures; its second round got a fresh deadline,
    # 13 March (5 working days from the rating), and open since, it passed that deadline's
    # limit (27 March) in March: prolonged for its second round. (Before reopening started a
    # round, "a" kept its 9 March deadline: overdue at once and prolonged from 23 March.)
    # A transfer is handled at the transfer (README "Reports"): the late one (2 → 16 March,
    # due 9 March) is late but within the margin, so not prolonged.
    assert {i.id for i in cam.prolonged} == month.of(*PROLONGED, "a")
    a = next(i for i in cam.prolonged if i.id == month.ids["a"])
    assert a.outcome == "on_time" and "vòng xử lý lại" in a.note
    assert unhappy.due_at == end_of(13) and unhappy.first_due_at == end_of(9)
    assert (cam.reopened.received, cam.reopened.overdue, ai.reopened.received) == (1, 1, 0)
    assert card.total.reopened.received == 1
    assert cam.points == 0
    # Ái Quốc: m never handled; the item transferred on time is handled.
    assert {i.id for i in ai.prolonged} == month.of("m")
    assert card.total.tally.received == cam.tally.received + ai.tally.received
    both = {i.id for i in cam.prolonged} | {i.id for i in ai.prolonged}
    assert {i.id for i in card.total.prolonged} == both


def test_one_unit_has_no_total_line(sessions: sessionmaker[Session]) -> None:
    build(sessions)
    with sessions.begin() as s:
        card = build_scorecard(s, MARCH, NOW, {UNIT}, CALENDAR)
    assert [line.unit_id for line in card.units] == [UNIT] and card.total is None
