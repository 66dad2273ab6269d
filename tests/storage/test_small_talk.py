"""Small talk is set aside at ingest, swept in one bulk action, and pulled back when wrong."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.ingest import ingest
from storage.queue_search import queue_counts, queue_page
from storage.records import ItemRecord
from storage.review_queue import bulk, change_status, review_labels
from storage.small_talk import NotSetAsideError, figures, pull_back
from storage.tables import AuditEntry, Item
from storage.visibility import Viewer
from tests.storage.queue_world import NOW, People, Pred, policy

SOON = timedelta(hours=24)


def chat_classifier(texts: Sequence[str]) -> list[Pred]:
    out = []
    for text in texts:
        low = text.lower()
        if low.startswith("vâng") or low.startswith("đồng ý"):
            out.append(Pred("khac", False, "khac", 0.93))
        elif low.startswith("hi"):
            out.append(Pred("khac", False, "khac", 0.55))  # unsure: stays in triage
        elif "cháy" in low:
            out.append(Pred("khac", True, "khac", 0.95))  # urgent is never small talk
        else:
            out.append(Pred("phan_anh", False, "ha_tang_moi_truong", 0.9))
    return out


SMALL_TALK_POLICY = replace(policy(), classify=chat_classifier, small_talk_confidence=0.8)
_serial = iter(range(1, 10**6))


def arrive(session: Session, *texts: str, unit: str = "a") -> list[Item]:
    records = []
    for text in texts:
        n = next(_serial)
        records.append(
            ItemRecord(
                source="facebook_comment",
                external_id=f"st_{unit}_{n}",
                unit_id=unit,
                created_time=NOW - timedelta(minutes=n % 40),
                text=text,
                author_id=f"st{n}",
                author_name=f"Người dân {n}",
            )
        )
    result = ingest(session, records, now=NOW, policy=SMALL_TALK_POLICY)
    return list(session.scalars(select(Item).where(Item.id.in_(result.inserted)).order_by(Item.id)))


def officer(people: People) -> Viewer:
    return Viewer(people.officer_a, "officer", frozenset({"a"}))


def ids(session: Session, who: Viewer, view: str) -> set[int]:
    return {c.id for c in queue_page(session, who, view, now=NOW, soon=SOON).cards}


def test_sure_small_talk_enters_set_aside_without_a_deadline(
    world: tuple[Session, People],
) -> None:
    session, people = world
    chat, also, unsure, fire, report = arrive(
        session, "Vâng ạ", "Đồng ý với bạn trên", "hi ad", "cháy rồi", "Đèn đường hỏng"
    )
    assert chat.set_aside and chat.set_aside_at == NOW
    assert chat.due_at is None and chat.deadline_rule is None and chat.status == "new"
    assert not unsure.set_aside and unsure.due_at is not None
    assert not fire.set_aside and fire.due_at is not None
    who = officer(people)
    assert ids(session, who, "small_talk") == {chat.id, also.id}
    assert ids(session, who, "triage") == {unsure.id, fire.id, report.id}
    assert queue_counts(session, who, now=NOW, soon=SOON)["small_talk"] == 2


def test_without_the_setting_nothing_is_set_aside(world: tuple[Session, People]) -> None:
    session, _people = world
    result = ingest(
        session,
        [ItemRecord("facebook_comment", "plain_1", "a", NOW, text="Vâng ạ")],
        now=NOW,
        policy=replace(SMALL_TALK_POLICY, small_talk_confidence=None),
    )
    item = session.get(Item, result.inserted[0])
    assert item is not None and not item.set_aside and item.due_at is not None


def test_twenty_small_talk_items_are_swept_in_one_bulk_close(
    world: tuple[Session, People],
) -> None:
    session, people = world
    chats = arrive(session, *[f"Vâng ạ {n}" for n in range(20)])
    uid = people.officer_a
    outcome = bulk(session, chats, lambda i: change_status(session, i, "not_actionable", uid, NOW))
    assert sorted(outcome.done) == sorted(c.id for c in chats) and not outcome.refused
    assert ids(session, officer(people), "small_talk") == set()
    audited = session.scalars(
        select(AuditEntry.item_id).where(AuditEntry.action == "status", AuditEntry.user_id == uid)
    ).all()
    assert sorted(audited) == sorted(c.id for c in chats)
    swept = figures(session, {"a"})
    assert (swept.set_aside, swept.closed, swept.waiting, swept.pulled_back) == (20, 20, 0, 0)


def test_an_item_pulled_back_gets_the_deadline_of_its_labels_and_is_counted(
    world: tuple[Session, People],
) -> None:
    session, people = world
    wrong, _right = arrive(session, "Vâng ạ nhưng đường thôn 3 ngập", "Vâng ạ")
    pull_back(session, wrong, user_id=people.officer_a, now=NOW, policy=SMALL_TALK_POLICY)
    assert not wrong.set_aside and wrong.due_at is not None and wrong.deadline_rule
    assert wrong.id in ids(session, officer(people), "triage")
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "small_talk_pulled_back")
    ).one()
    assert (entry.item_id, entry.user_id) == (wrong.id, people.officer_a)
    found = figures(session, {"a"})
    assert (found.set_aside, found.pulled_back, found.waiting) == (2, 1, 1)
    assert found.pulled_back_share == 0.5
    assert figures(session, {"b"}).set_aside == 0
    assert figures(session, None, start=NOW + timedelta(days=1)).set_aside == 0


def test_pulling_back_twice_is_refused_with_the_reason(world: tuple[Session, People]) -> None:
    session, people = world
    (chat,) = arrive(session, "Vâng ạ")
    pull_back(session, chat, user_id=people.officer_a, now=NOW, policy=SMALL_TALK_POLICY)
    with pytest.raises(NotSetAsideError, match="tải lại trang"):
        pull_back(session, chat, user_id=people.officer_a, now=NOW, policy=SMALL_TALK_POLICY)


def test_labels_corrected_to_a_petition_take_the_item_out_of_small_talk(
    world: tuple[Session, People],
) -> None:
    session, people = world
    (chat,) = arrive(session, "Vâng ạ, còn cống thôn 2 tắc")
    review_labels(
        session,
        chat,
        category="phan_anh",
        urgent=False,
        field="ha_tang_moi_truong",
        user_id=people.officer_a,
        now=NOW,
        policy=SMALL_TALK_POLICY,
    )
    assert not chat.set_aside and chat.due_at is not None
    assert figures(session, {"a"}).pulled_back == 1


def test_report_figures_count_only_items_the_rule_set_aside(
    world: tuple[Session, People],
) -> None:
    session, _people = world
    arrive(session, "Đèn đường hỏng", "Vâng ạ", unit="b")
    assert figures(session, None).set_aside == 1
    assert figures(session, {"a"}).set_aside == 0
