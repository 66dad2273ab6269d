"""Items to confirm ("cần xác nhận"): least confident first, a seeded random share, open only."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from storage.active_learning import RANDOM, UNCERTAIN, items_to_confirm
from storage.review_queue import review_labels
from storage.tables import Item
from storage.visibility import Viewer
from tests.storage.queue_world import NOW, People, add_item, policy


def officer_a(people: People) -> Viewer:
    return Viewer(people.officer_a, "officer", frozenset({"a"}))


def items_with_confidence(
    session: Session, confidences: list[float], unit: str = "a"
) -> list[Item]:
    items = [add_item(session, f"mất sóng ở thôn số {i}", unit=unit) for i in confidences]
    for item, confidence in zip(items, confidences, strict=True):
        item.confidence = confidence
    session.flush()
    return items


def test_the_least_confident_open_items_come_first_then_a_random_share(
    world: tuple[Session, People],
) -> None:
    session, people = world
    items = items_with_confidence(session, [0.9, 0.31, 0.8, 0.55, 0.3, 0.95, 0.7, 0.85])
    picks = items_to_confirm(session, officer_a(people), limit=4, random_share=0.25, seed=3)
    assert [(p.item.id, p.reason) for p in picks[:3]] == [
        (items[4].id, UNCERTAIN),
        (items[1].id, UNCERTAIN),
        (items[3].id, UNCERTAIN),
    ]
    [extra] = picks[3:]
    assert extra.reason == RANDOM
    assert extra.item.id not in {items[4].id, items[1].id, items[3].id}
    again = items_to_confirm(session, officer_a(people), limit=4, random_share=0.25, seed=3)
    assert [(p.item.id, p.reason) for p in again] == [(p.item.id, p.reason) for p in picks]


def test_reviewed_closed_other_units_and_masked_denunciations_are_left_out(
    world: tuple[Session, People],
) -> None:
    session, people = world
    reviewed, closed, kept = items_with_confidence(session, [0.1, 0.2, 0.6])
    items_with_confidence(session, [0.05], unit="b")  # not officer A's unit
    denunciation = add_item(session, "Cán bộ xã đòi 2 triệu mới ký giấy")  # to_cao: confidential
    denunciation.confidence = 0.01
    review_labels(
        session,
        reviewed,
        category="phan_anh",
        urgent=False,
        field="khcn_cds",
        user_id=people.officer_a,
        now=NOW,
        policy=policy(),
    )
    closed.status = "closed"
    session.flush()
    assert denunciation.confidential
    shown = [p.item.id for p in items_to_confirm(session, officer_a(people), limit=10)]
    assert shown == [kept.id]
    leader = Viewer(people.leader_a, "leader", frozenset({"a"}))
    assert denunciation.id in [p.item.id for p in items_to_confirm(session, leader, limit=10)]


def test_a_share_outside_zero_to_one_is_refused_with_a_fix(world: tuple[Session, People]) -> None:
    session, people = world
    with pytest.raises(ValueError, match="random_share"):
        items_to_confirm(session, officer_a(people), random_share=2.0)
