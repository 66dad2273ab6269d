from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.deadlines import load_policy
from storage.review_queue import (
    TRANSITIONS,
    QueueError,
    add_note,
    allowed_next,
    assign,
    change_status,
    duplicates_of,
    mark_duplicate,
    review_labels,
    training_examples,
)
from storage.tables import OPEN_STATUSES, STATUSES, AuditEntry, Item, Note
from tests.storage.queue_world import NOW, People, add_item, policy


def audit_of(session: Session, item_id: int, action: str) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.item_id == item_id, AuditEntry.action == action)
            .order_by(AuditEntry.id)
        )
    )


def test_the_transition_table_covers_every_status_and_closed_items_can_only_reopen() -> None:
    assert set(TRANSITIONS) == set(STATUSES)
    for targets in TRANSITIONS.values():
        assert targets <= set(STATUSES)
    for done in ("closed", "not_actionable"):
        assert allowed_next(done) == ["reopened"]


def test_a_status_change_outside_the_workflow_is_refused_with_the_next_steps(
    world: tuple[Session, People],
) -> None:
    session, people = world
    item = add_item(session, "Mất sóng 4G ở thôn 3")
    with pytest.raises(QueueError) as err:
        change_status(session, item, "closed", people.officer_a, NOW)
    assert "“Đã tiếp nhận”" in str(err.value)  # the next steps, by their names
    assert (err.value.key, err.value.values["current"]) == ("transition", "new")
    assert "acknowledged" not in str(err.value)
    assert item.status == "new"
    assert audit_of(session, item.id, "status") == []


def test_the_full_workflow_is_audited_with_who_before_and_after(
    world: tuple[Session, People],
) -> None:
    session, people = world
    item = add_item(session, "Mất sóng 4G ở thôn 3")
    path = ["acknowledged", "in_triage", "assigned", "in_progress", "answered", "closed"]
    for step, status in enumerate(path):
        change_status(session, item, status, people.officer_a, NOW + timedelta(minutes=step))
    entries = audit_of(session, item.id, "status")
    assert [json.loads(e.after or "{}")["status"] for e in entries] == path
    assert [json.loads(e.before or "{}")["status"] for e in entries] == ["new", *path[:-1]]
    assert {e.user_id for e in entries} == {people.officer_a}
    assert item.acknowledged_at == NOW
    assert item.answered_at == NOW + timedelta(minutes=4)
    assert item.closed_at == NOW + timedelta(minutes=5)


def test_reopening_a_closed_item_clears_its_closing_time(world: tuple[Session, People]) -> None:
    session, people = world
    item = add_item(session, "Camera ngã ba hỏng")
    change_status(session, item, "not_actionable", people.officer_a, NOW)
    change_status(session, item, "reopened", people.officer_a, NOW)
    assert item.status == "reopened" and item.closed_at is None
    assert item.status in OPEN_STATUSES


def test_assigning_an_officer_moves_a_new_item_to_assigned_and_is_audited(
    world: tuple[Session, People],
) -> None:
    session, people = world
    item = add_item(session, "Mất sóng 4G ở thôn 3")
    assign(
        session,
        item,
        department="Phòng Kinh tế",
        assignee_id=people.officer_a,
        user_id=people.leader_a,
        now=NOW,
    )
    assert (item.department, item.assignee_id, item.status) == (
        "Phòng Kinh tế",
        people.officer_a,
        "assigned",
    )
    (entry,) = audit_of(session, item.id, "assign")
    assert entry.user_id == people.leader_a
    assert json.loads(entry.after or "{}") == {
        "department": "Phòng Kinh tế",
        "assignee_id": people.officer_a,
    }


def test_an_item_cannot_be_given_to_an_officer_of_another_unit(
    world: tuple[Session, People],
) -> None:
    session, people = world
    item = add_item(session, "Mất sóng 4G ở thôn 3")
    with pytest.raises(QueueError, match="không thuộc đơn vị"):
        assign(
            session,
            item,
            department=None,
            assignee_id=people.officer_b,
            user_id=people.leader_a,
            now=NOW,
        )
    assert item.assignee_id is None and item.status == "new"


def test_notes_are_stored_and_an_empty_note_is_refused(world: tuple[Session, People]) -> None:
    session, people = world
    item = add_item(session, "Mất sóng 4G ở thôn 3")
    add_note(session, item, "  Đã gọi nhà mạng  ", people.officer_a, NOW)
    with pytest.raises(QueueError):
        add_note(session, item, "   ", people.officer_a, NOW)
    notes = session.scalars(select(Note.text).where(Note.item_id == item.id)).all()
    assert notes == ["Đã gọi nhà mạng"]
    assert len(audit_of(session, item.id, "note")) == 1


def test_a_duplicate_links_to_the_first_report_and_closes_as_not_actionable(
    world: tuple[Session, People],
) -> None:
    session, people = world
    first = add_item(session, "Đèn đường ngõ 5 tắt")
    second = add_item(session, "Đèn đường ngõ 5 tắt cả tuần")
    third = add_item(session, "Ngõ 5 tối om vì đèn hỏng")
    mark_duplicate(session, second, first.id, people.officer_a, NOW)
    # Marking against a duplicate links to the root, so "duplicates of" stays one query.
    mark_duplicate(session, third, second.id, people.officer_a, NOW)
    assert (second.duplicate_of_id, third.duplicate_of_id) == (first.id, first.id)
    assert second.status == third.status == "not_actionable"
    assert [d.id for d in duplicates_of(session, first.id)] == [second.id, third.id]
    assert audit_of(session, second.id, "duplicate")


def test_duplicates_must_be_in_the_same_unit_and_not_the_item_itself(
    world: tuple[Session, People],
) -> None:
    session, people = world
    item = add_item(session, "Đèn đường ngõ 5 tắt")
    elsewhere = add_item(session, "Đèn đường ngõ 5 tắt", unit="b")
    with pytest.raises(QueueError, match="cùng đơn vị"):
        mark_duplicate(session, item, elsewhere.id, people.officer_a, NOW)
    with pytest.raises(QueueError, match="chính nó"):
        mark_duplicate(session, item, item.id, people.officer_a, NOW)
    assert item.status == "new" and item.duplicate_of_id is None


def test_confirming_labels_records_the_review_and_starts_triage(
    world: tuple[Session, People],
) -> None:
    session, people = world
    item = add_item(session, "cho em hỏi làm VNeID ở đâu?")
    assert item.flagged  # low confidence
    due = item.due_at
    corrected = review_labels(
        session,
        item,
        category="hoi_dap",
        urgent=False,
        field="khcn_cds",
        user_id=people.officer_a,
        now=NOW,
        policy=policy(),
    )
    assert not corrected and not item.labels_corrected
    assert (item.labels_reviewed_by, item.labels_reviewed_at) == (people.officer_a, NOW)
    assert item.status == "in_triage" and not item.flagged and item.due_at == due
    assert audit_of(session, item.id, "labels_confirmed")


def test_correcting_to_to_cao_makes_the_item_confidential_and_recomputes_its_deadline(
    world: tuple[Session, People],
) -> None:
    session, people = world
    item = add_item(session, "Mất sóng 4G ở thôn 3", received=NOW)
    review_labels(
        session,
        item,
        category="to_cao",
        urgent=False,
        field="hanh_chinh",
        user_id=people.officer_a,
        now=NOW,
        policy=policy(),
    )
    expected_due, expected_rule = load_policy().deadline("to_cao", False, NOW)
    assert item.labels_corrected and item.confidential
    assert (item.due_at, item.deadline_rule) == (expected_due, expected_rule)
    assert item.department == policy().routing["hanh_chinh"]
    (entry,) = audit_of(session, item.id, "labels_corrected")
    before, after = json.loads(entry.before or "{}"), json.loads(entry.after or "{}")
    assert (before["category"], after["category"]) == ("phan_anh", "to_cao")
    assert (before["confidential"], after["confidential"]) == (False, True)


def test_correcting_a_denunciation_to_a_report_lifts_confidentiality(
    world: tuple[Session, People],
) -> None:
    session, people = world
    item = add_item(session, "cán bộ đòi 300k phí làm nhanh")
    assert item.confidential
    review_labels(
        session,
        item,
        category="phan_anh",
        urgent=True,
        field="hanh_chinh",
        user_id=people.leader_a,
        now=NOW,
        policy=policy(),
    )
    assert not item.confidential and item.urgent
    assert item.deadline_rule == load_policy().rule_for("phan_anh", True, item.created_time).name


def test_an_unknown_category_is_refused(world: tuple[Session, People]) -> None:
    session, people = world
    item = add_item(session, "Mất sóng")
    with pytest.raises(QueueError):
        review_labels(
            session,
            item,
            category="spam",
            urgent=False,
            field="khac",
            user_id=people.officer_a,
            now=NOW,
            policy=policy(),
        )


def test_training_examples_weigh_corrections_twice_and_skip_unreviewed_items(
    world: tuple[Session, People],
) -> None:
    session, people = world
    confirmed = add_item(session, "cho em hỏi làm VNeID ở đâu?")
    corrected = add_item(session, "Mất sóng 4G ở thôn 3")
    add_item(session, "chưa ai xem")
    review_labels(
        session,
        confirmed,
        category="hoi_dap",
        urgent=False,
        field="khcn_cds",
        user_id=people.officer_a,
        now=NOW,
        policy=policy(),
    )
    review_labels(
        session,
        corrected,
        category="kien_nghi",
        urgent=False,
        field="khcn_cds",
        user_id=people.officer_a,
        now=NOW,
        policy=policy(),
    )
    assert sorted(training_examples(session)) == sorted(
        [
            ("cho em hỏi làm VNeID ở đâu?", "hoi_dap", False, "khcn_cds", 1.0),
            ("Mất sóng 4G ở thôn 3", "kien_nghi", False, "khcn_cds", 2.0),
        ]
    )


def test_items_written_by_the_page_are_never_training_examples(
    world: tuple[Session, People],
) -> None:
    session, _ = world
    reply = add_item(session, "Xã đã tiếp nhận ạ", by_page=True)
    reply.category, reply.labels_reviewed_at = "khac", NOW
    session.flush()
    assert training_examples(session) == []
    assert session.get(Item, reply.id) is not None
