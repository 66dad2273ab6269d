"""Bulk actions on a queue (each item audited, a refusal leaves its item untouched), the queue
filters, and the filters an officer saves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.queue_filters import QueueFilters
from storage.queue_search import queue_page
from storage.review_queue import (
    QueueError,
    assign,
    bulk,
    change_status,
    mark_duplicate,
    review_labels,
)
from storage.saved_filters import (
    MAX_PER_USER,
    SavedFilterError,
    delete_filter,
    save_filter,
    saved_filters,
)
from storage.tables import AuditEntry, Item, Reply
from storage.visibility import Viewer
from tests.storage.queue_world import NOW, People, add_item, policy

SOON = timedelta(hours=24)


def entries(session: Session, action: str) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def test_a_bulk_assignment_audits_each_item_and_reports_the_refused_ones(
    world: tuple[Session, People],
) -> None:
    session, people = world
    mine = [add_item(session, f"Đèn đường ngõ {n} hỏng") for n in range(3)]
    other_unit = add_item(session, "Đèn đường phường B hỏng", unit="b")
    outcome = bulk(
        session,
        [*mine, other_unit],
        lambda i: assign(
            session,
            i,
            department="Phòng Kinh tế",
            assignee_id=people.officer_a,
            user_id=people.leader_a,
            now=NOW,
        ),
    )
    assert outcome.done == [i.id for i in mine]
    assert list(outcome.refused) == [other_unit.id]
    assert "không thuộc đơn vị" in outcome.refused[other_unit.id]
    assert other_unit.assignee_id is None and other_unit.department != "Phòng Kinh tế"
    assert [e.item_id for e in entries(session, "assign")] == [i.id for i in mine]
    assert all(i.status == "assigned" for i in mine)


def test_a_refused_item_keeps_nothing_of_what_the_change_did_before_refusing(
    world: tuple[Session, People],
) -> None:
    session, _people = world
    first, second = add_item(session, "Ngập ở thôn 1"), add_item(session, "Ngập ở thôn 2")

    def half_done(item: Item) -> None:
        item.department = "Đã sửa một nửa"
        session.flush()
        if item.id == second.id:
            raise QueueError("từ chối sau khi đã sửa")

    outcome = bulk(session, [first, second], half_done)
    assert outcome.done == [first.id] and list(outcome.refused) == [second.id]
    session.expire_all()
    assert first.department == "Đã sửa một nửa"
    assert second.department != "Đã sửa một nửa"


def test_bulk_status_labels_and_duplicates_go_through_the_queue_rules(
    world: tuple[Session, People],
) -> None:
    session, people = world
    uid = people.officer_a
    a, b, c = (add_item(session, f"Mất nước tổ {n}") for n in range(3))
    closed = bulk(session, [a], lambda i: change_status(session, i, "not_actionable", uid, NOW))
    refused = bulk(session, [a], lambda i: change_status(session, i, "in_progress", uid, NOW))
    assert closed.done == [a.id] and list(refused.refused) == [a.id]
    labelled = bulk(
        session,
        [b, c],
        lambda i: review_labels(
            session,
            i,
            category="kien_nghi",
            urgent=i.urgent,
            field=i.field or "khac",
            user_id=uid,
            now=NOW,
            policy=policy(),
        ),
    )
    assert labelled.done == [b.id, c.id] and {b.category, c.category} == {"kien_nghi"}
    assert len(entries(session, "labels_corrected")) == 2
    dup = bulk(session, [c], lambda i: mark_duplicate(session, i, b.id, uid, NOW))
    assert dup.done == [c.id] and c.duplicate_of_id == b.id and c.status == "not_actionable"


def test_the_queue_filters_narrow_a_view_to_what_they_name(
    world: tuple[Session, People],
) -> None:
    session, people = world
    fire = add_item(session, "Cháy rơm ở cánh đồng thôn 4", received=NOW - timedelta(days=2))
    question = add_item(session, "Làm căn cước ở đâu?")
    hotline = add_item(session, "Đường ngập", source="hotline", external_id="call-1")
    answered = add_item(session, "Đèn đường hỏng")
    session.add(
        Reply(
            item_id=answered.id,
            kind="public_comment",
            text="Đã tiếp nhận",
            status="sent",
            created_by=people.officer_a,
            created_at=NOW,
            updated_at=NOW,
        )
    )
    assign(
        session,
        question,
        department=None,
        assignee_id=people.officer_a,
        user_id=people.leader_a,
        now=NOW,
    )
    who = Viewer(people.officer_a, "officer", frozenset({"a"}))

    def found(**kw: object) -> set[int]:
        page = queue_page(session, who, "all", now=NOW, soon=SOON, filters=QueueFilters(**kw))  # type: ignore[arg-type]
        return {c.id for c in page.cards}

    assert found(urgent=True) == {fire.id}
    assert found(category="hoi_dap") == {question.id}
    assert found(field="ha_tang_moi_truong") == {fire.id}
    assert found(source="hotline") == {hotline.id}
    assert found(assignee="me") == {question.id}
    assert found(assignee=str(people.officer_a)) == {question.id}
    assert question.id not in found(assignee="none")
    assert found(status="assigned") == {question.id}
    assert found(has_reply=True) == {answered.id}
    assert answered.id not in found(has_reply=False)
    assert found(received_to=NOW - timedelta(days=1)) == {fire.id}
    assert fire.id not in found(received_from=NOW - timedelta(days=1))
    assert found(unit_id="b") == set()
    assert QueueFilters(urgent=False).active() and not QueueFilters().active()


def test_saved_filters_belong_to_their_user_and_replace_by_name(
    world: tuple[Session, People],
) -> None:
    session, people = world
    save_filter(session, people.officer_a, " Khẩn  hạ tầng ", "triage", {"urgent": "yes"}, NOW)
    save_filter(session, people.officer_a, "Khẩn hạ tầng", "all", {"urgent": "yes", "x": ""}, NOW)
    save_filter(session, people.officer_b, "Khẩn hạ tầng", "mine", {"category": "to_cao"}, NOW)
    (kept,) = saved_filters(session, people.officer_a)
    assert (kept.name, kept.view, kept.params) == ("Khẩn hạ tầng", "all", {"urgent": "yes"})
    assert not delete_filter(session, people.officer_b, kept.id)
    assert delete_filter(session, people.officer_a, kept.id)
    assert saved_filters(session, people.officer_a) == []


def test_a_saved_filter_needs_a_name_and_a_user_keeps_a_bounded_number(
    world: tuple[Session, People],
) -> None:
    session, people = world
    with pytest.raises(SavedFilterError, match="Đặt tên"):
        save_filter(session, people.officer_a, "   ", "all", {}, NOW)
    for n in range(MAX_PER_USER):
        save_filter(session, people.officer_a, f"Bộ lọc {n}", "all", {}, NOW)
    with pytest.raises(SavedFilterError, match="xoá bớt"):
        save_filter(session, people.officer_a, "Một bộ nữa", "all", {}, NOW)
