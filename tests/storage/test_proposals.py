"""Report up and get a direction: proposals, the leader's decision, the answer that waits for it
(storage/proposals.py and its check in storage/replies.py)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage import proposals
from storage.replies import ReplyRefusedError, create_reply
from storage.tables import AuditEntry, Item, Proposal, Reply
from tests.storage.known_month import Month, at, build, end_of

DRAFT = proposals.Draft(
    "Nhiều người phản ánh mất sóng ở thôn Lương Xá",
    "Đề nghị làm việc với nhà mạng, trả lời người dân sau khi có lịch sửa trạm",
    "Phòng Văn hóa - Xã hội",
    date(2026, 4, 10),
)


@pytest.fixture
def month(sessions: sessionmaker[Session]) -> Month:
    return build(sessions)


def items(s: Session, month: Month, *names: str) -> list[Item]:
    found = [s.get(Item, month.ids[n]) for n in names]
    assert all(found)
    return found  # type: ignore[return-value]


def actions(s: Session, item_id: int) -> list[tuple[str, int | None, dict[str, object]]]:
    rows = s.execute(
        select(AuditEntry.action, AuditEntry.user_id, AuditEntry.after)
        .where(AuditEntry.item_id == item_id)
        .order_by(AuditEntry.id)
    )
    return [(a, u, json.loads(after or "{}")) for a, u, after in rows]


def test_a_proposal_on_a_group_is_returned_revised_then_approved_and_audited_on_each_item(
    sessions: sessionmaker[Session], month: Month
) -> None:
    with sessions.begin() as s:
        found = proposals.propose(s, items(s, month, "e", "n"), DRAFT, month.officer, at(21))
        assert proposals.awaiting_direction(s, "cam-giang") == 1
        proposals.decide(
            s, found, "returned", "Ghi rõ số hộ bị ảnh hưởng", month.leader, at(21, hour=14),
            version=found.version,
        )  # fmt: skip
        assert found.state == "returned" and proposals.awaiting_direction(s, "cam-giang") == 0
        revised = proposals.Draft(DRAFT.summary + " (120 hộ)", DRAFT.handling, None, None)
        proposals.revise(s, found, revised, month.officer, at(22), version=found.version)
        assert (found.state, found.direction) == ("pending", "Ghi rõ số hộ bị ảnh hưởng")
        proposals.decide(s, found, "approved", "", month.leader, at(23), version=found.version)
        assert (found.state, found.directed_by, found.summary.endswith("(120 hộ)")) == (
            "approved",
            month.leader,
            True,
        )
        for name in ("e", "n"):
            log = actions(s, month.ids[name])
            steps = [(a, u, d.get("state")) for a, u, d in log if d.get("proposal_id") == found.id]
            assert steps == [
                ("proposal_created", month.officer, "pending"),
                ("direction", month.leader, "returned"),
                ("proposal_revised", month.officer, "pending"),
                ("direction", month.leader, "approved"),
            ]


def test_a_change_needs_a_direction_and_sets_the_leaders_department_and_deadline(
    sessions: sessionmaker[Session], month: Month
) -> None:
    with sessions.begin() as s:
        found = proposals.propose(s, items(s, month, "f"), DRAFT, month.officer, at(26))
        change = proposals.Draft(DRAFT.summary, DRAFT.handling, "Phòng Kinh tế", date(2026, 4, 3))
        with pytest.raises(proposals.ProposalError, match="Ghi ý kiến chỉ đạo"):
            proposals.decide(
                s, found, "changed", " ", month.leader, at(26), version=0, change=change
            )
        proposals.decide(
            s, found, "changed", "Giao Phòng Kinh tế chủ trì", month.leader, at(26), version=0,
            change=change,
        )  # fmt: skip
        assert found.directed_department == "Phòng Kinh tế"
        assert found.directed_deadline is not None
        assert found.directed_deadline.astimezone(at(1).tzinfo).date() == date(2026, 4, 3)
        assert found.department == "Phòng Văn hóa - Xã hội"  # the proposal keeps what was asked


def test_two_leaders_deciding_at_once_cannot_both_stand(
    sessions: sessionmaker[Session], month: Month
) -> None:
    with sessions.begin() as s:
        proposal_id = proposals.propose(s, items(s, month, "g"), DRAFT, month.officer, at(30)).id
    with sessions.begin() as s:
        first = s.get(Proposal, proposal_id)
        assert first is not None
        proposals.decide(s, first, "approved", "Đồng ý", month.leader, at(30), version=0)
    with sessions.begin() as s:
        late = s.get(Proposal, proposal_id)
        assert late is not None
        with pytest.raises(proposals.ProposalError, match="vừa được người khác chỉ đạo"):
            proposals.decide(s, late, "returned", "Làm lại", month.leader, at(30), version=0)
        assert late.state == "approved" and late.direction == "Đồng ý"


@pytest.mark.parametrize(
    ("names", "draft", "message"),
    [
        (("e", "m"), DRAFT, "nhiều đơn vị"),
        (("k",), DRAFT, "chính Trang"),
        (("e",), proposals.Draft(" ", "x", None, None), "tóm tắt nội dung và hướng xử lý"),
        (("e",), proposals.Draft("x", "y", None, date(2026, 3, 1)), "đã qua"),
    ],
)
def test_a_proposal_is_refused_with_what_to_fix(
    sessions: sessionmaker[Session],
    month: Month,
    names: tuple[str, ...],
    draft: proposals.Draft,
    message: str,
) -> None:
    with sessions.begin() as s, pytest.raises(proposals.ProposalError, match=message):
        proposals.propose(s, items(s, month, *names), draft, month.officer, at(21))


def test_an_item_waiting_for_a_direction_gets_no_second_proposal(
    sessions: sessionmaker[Session], month: Month
) -> None:
    with sessions.begin() as s:
        first = proposals.propose(s, items(s, month, "e"), DRAFT, month.officer, at(21))
        with pytest.raises(proposals.ProposalError, match=f"đề xuất #{first.id}"):
            proposals.propose(s, items(s, month, "n", "e"), DRAFT, month.officer, at(21))


def test_an_answer_waits_for_an_approved_direction_where_the_unit_requires_one(
    sessions: sessionmaker[Session], month: Month
) -> None:
    """The refusal the officer reads, at each step; other categories and units answer freely."""
    now = at(21)
    with sessions.begin() as s:
        assert proposals.require_direction(s, "cam-giang", "phan_anh", True, month.leader, now)
        assert not proposals.require_direction(s, "cam-giang", "phan_anh", True, month.leader, now)
        (e,) = items(s, month, "e")
        with pytest.raises(ReplyRefusedError, match="chỉ được trả lời sau khi có ý kiến chỉ đạo"):
            create_reply(s, e, "public_comment", "Xã đã tiếp nhận", month.officer, now)
        found = proposals.propose(s, [e], DRAFT, month.officer, now)
        with pytest.raises(ReplyRefusedError, match=f"đề xuất #{found.id} đang chờ chỉ đạo"):
            create_reply(s, e, "public_comment", "Xã đã tiếp nhận", month.officer, now)
        proposals.decide(s, found, "returned", "Bổ sung số hộ", month.leader, now, version=0)
        with pytest.raises(ReplyRefusedError, match="Bổ sung số hộ"):
            create_reply(s, e, "public_comment", "Xã đã tiếp nhận", month.officer, now)
        proposals.revise(s, found, DRAFT, month.officer, now, version=found.version)
        proposals.decide(s, found, "approved", "", month.leader, now, version=found.version)
        reply = create_reply(
            s, e, "public_comment", "Nhà mạng sửa trạm thứ Hai", month.officer, now
        )
        assert reply.status == "pending"
        # Another category of the unit, and the same category in another unit, answer freely.
        (m,) = items(s, month, "m")
        assert create_reply(s, m, "public_comment", "Đã tiếp nhận", None, now).id
        assert proposals.rules(s) == {("cam-giang", "phan_anh")}
        e.category = "hoi_dap"
        assert proposals.direction_gate(s, e) is None
        assert s.scalar(select(Reply.id).where(Reply.item_id == e.id)) == reply.id
        rule_log = s.scalars(select(AuditEntry).where(AuditEntry.action == "direction_rule")).all()
        assert [json.loads(r.after or "{}")["required"] for r in rule_log] == [True]


def test_a_direction_that_moves_the_deadline_later_is_an_extension(
    sessions: sessionmaker[Session], month: Month
) -> None:
    with sessions.begin() as s:
        (g,) = items(s, month, "g")  # due 30 April
        found = proposals.propose(s, [g], DRAFT, month.officer, at(30))
        later = proposals.Draft(DRAFT.summary, DRAFT.handling, None, date(2026, 5, 15))
        proposals.decide(
            s, found, "changed", "Chờ vốn", month.leader, at(30), version=0, change=later
        )
        assert set(proposals.extensions(s, [g.id, month.ids["e"]])) == {g.id}
        # The item keeps its own deadline: the figures measure against it (storage.prolonged).
        assert g.due_at == end_of(30, 4)
