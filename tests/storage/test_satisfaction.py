"""Citizens rate answers once per item; "chưa hài lòng" goes back to the leader; counts."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.deadlines import load_policy
from storage.replies import create_reply, mark_sent
from storage.report_periods import between, month_of
from storage.review_queue import change_status
from storage.satisfaction import (
    RatingRefusedError,
    Satisfaction,
    may_rate,
    rate,
    rating_of,
    satisfaction_counts,
)
from storage.tables import AuditEntry, Item
from tests.storage.queue_world import NOW, People, add_item

POLICY = load_policy()


def answered(session: Session, people: People, text: str, unit: str = "a") -> Item:
    item = add_item(session, text, unit=unit)
    officer = people.officer_a if unit == "a" else people.officer_b
    reply = create_reply(session, item, "public_comment", "Xã đã xử lý xong.", officer, NOW)
    mark_sent(session, reply, "c_1", NOW)
    assert item.status == "answered"
    return item


def test_the_first_rating_counts_and_a_second_is_refused(world: tuple[Session, People]) -> None:
    session, people = world
    item = answered(session, people, "Đèn đường thôn 2 hỏng")
    assert may_rate(session, item)
    rate(session, item, satisfied=True, reason="  Nhanh gọn  ", now=NOW, policy=POLICY)
    with pytest.raises(RatingRefusedError, match="một lần"):
        rate(
            session,
            item,
            satisfied=False,
            reason="Đổi ý",
            now=NOW + timedelta(minutes=1),
            policy=POLICY,
        )
    rating = rating_of(session, item.id)
    assert rating is not None and (rating.satisfied, rating.reason) == (True, "Nhanh gọn")
    assert item.status == "answered" and not may_rate(session, item)


def test_an_unsatisfied_rating_reopens_the_item_for_the_leader_and_is_audited(
    world: tuple[Session, People],
) -> None:
    session, people = world
    item = answered(session, people, "Đèn đường thôn 2 hỏng")
    change_status(session, item, "closed", people.leader_a, NOW)
    rate(session, item, satisfied=False, reason="Đèn vẫn chưa sáng", now=NOW, policy=POLICY)
    assert (item.status, item.closed_at, item.flagged) == ("reopened", None, True)
    assert "unsatisfied" in (item.flag_reasons or "").split(",")
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.item_id == item.id).order_by(AuditEntry.id)
    ).all()
    status = entries[-2]
    assert (status.action, status.user_id) == ("status", None)
    assert json.loads(status.before or "{}") == {"status": "closed"}
    after = json.loads(status.after or "{}")
    assert after == {"status": "reopened", "reason": "citizen_unsatisfied"}
    assert entries[-3].action == "rated"
    # The second round's fresh deadline is audited too (tests/storage/test_reopened_rounds.py).
    assert (entries[-1].action, entries[-1].user_id) == ("deadline_renewed", None)


def test_an_item_without_an_answer_cannot_be_rated(world: tuple[Session, People]) -> None:
    session, _people = world
    item = add_item(session, "Đèn đường thôn 2 hỏng")
    assert not may_rate(session, item)
    with pytest.raises(RatingRefusedError, match="chưa có câu trả lời"):
        rate(session, item, satisfied=True, reason=None, now=NOW, policy=POLICY)
    assert rating_of(session, item.id) is None


def test_satisfaction_is_counted_per_unit_within_the_period(
    world: tuple[Session, People],
) -> None:
    session, people = world
    march = month_of(date(2026, 3, 2))
    for n, satisfied in enumerate((True, True, False)):
        item = answered(session, people, f"Đèn đường thôn {n} hỏng")
        rate(session, item, satisfied=satisfied, reason=None, now=NOW, policy=POLICY)
    late = answered(session, people, "Rác chưa thu ở chợ", unit="b")
    rate(session, late, satisfied=True, reason=None, now=NOW + timedelta(days=40), policy=POLICY)
    counts = satisfaction_counts(session, ["a", "b"], march)
    assert counts == {"a": Satisfaction(2, 1), "b": Satisfaction(0, 0)}
    assert counts["a"].rate == pytest.approx(2 / 3) and counts["b"].rate is None
    april = satisfaction_counts(session, None, between(date(2026, 4, 1), date(2026, 4, 30)))
    assert april == {"a": Satisfaction(0, 0), "b": Satisfaction(1, 0)}
