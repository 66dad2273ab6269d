"""Report up and get a direction: an officer's proposal, the leader's direction, the answer.

The commune's notices ask officers to "tổng hợp, phân loại …; kịp thời báo cáo, tham mưu Lãnh
đạo UBND xem xét, chỉ đạo giải quyết …; đề xuất giải pháp xử lý phù hợp đối với từng nội dung
cụ thể", and to answer the citizen "theo thẩm quyền hoặc sau khi có ý kiến chỉ đạo của Lãnh
đạo". So:

- an officer writes a proposal on one item or a group of similar items of one unit: a summary,
  the proposed handling, the department and a deadline (``propose``);
- a leader of that unit approves it, approves it with changes, or returns it, always able to
  write a direction (ý kiến chỉ đạo; required to change or return) (``decide``); a returned
  proposal is revised by the officers and comes back (``revise``);
- per unit and category, an answer to the citizen may require an approved direction first
  (``DirectionRule``, set by ``require_direction``); ``storage.replies.create_reply`` asks
  ``direction_gate`` and refuses with the reason.

Every step is audited on each item it covers. A decision is a conditional UPDATE on the
proposal's version: two leaders deciding at once, or a decision taken on a version the leader
did not read (the officer revised it meanwhile), cannot both stand.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.audit import record as audit
from storage.tables import DirectionRule, Item, Proposal, ProposalItem, Unit
from storage.workdays import VIETNAM_TZ, to_local

DECISIONS = ("approved", "changed", "returned")
DIRECTED = ("approved", "changed")
STATE_NAMES = {
    "pending": "Chờ chỉ đạo",
    "approved": "Đồng ý như đề xuất",
    "changed": "Đồng ý, có điều chỉnh",
    "returned": "Trả lại, cần làm lại",
}
CATEGORY_NAMES = {
    "to_cao": "Tố cáo",
    "khieu_nai": "Khiếu nại",
    "phan_anh": "Phản ánh",
    "kien_nghi": "Kiến nghị",
    "hoi_dap": "Hỏi đáp",
    "gop_y": "Góp ý",
    "khac": "Khác",
}
TEXT_MAX = 4000
DEPARTMENT_MAX = 120
ITEMS_MAX = 200


class ProposalError(ValueError):
    """The proposal or decision is refused; the message says why and what to do instead."""


@dataclass(frozen=True)
class Draft:
    """What the officer writes (also what a leader's change replaces)."""

    summary: str
    handling: str
    department: str | None
    deadline: date | None


def end_of(day: date | None) -> datetime | None:
    """A deadline given as a day ends at 24:00 of that day in Việt Nam (BLDS Điều 148)."""
    return None if day is None else datetime.combine(day, time.max, tzinfo=VIETNAM_TZ)


def _clean(draft: Draft, today: date) -> Draft:
    summary, handling = draft.summary.strip(), draft.handling.strip()
    department = " ".join((draft.department or "").split()) or None
    if not summary or not handling:
        raise ProposalError(
            "Ghi cả tóm tắt nội dung và hướng xử lý đề xuất; lãnh đạo cần cả hai để cho ý kiến."
        )
    if len(summary) > TEXT_MAX or len(handling) > TEXT_MAX:
        raise ProposalError(f"Tóm tắt và hướng xử lý tối đa {TEXT_MAX} ký tự mỗi phần; viết gọn.")
    if department is not None and len(department) > DEPARTMENT_MAX:
        raise ProposalError(f"Tên phòng ban tối đa {DEPARTMENT_MAX} ký tự.")
    if draft.deadline is not None and draft.deadline < today:
        raise ProposalError(
            f"Hạn {draft.deadline:%d/%m/%Y} đã qua; chọn một ngày từ hôm nay trở đi."
        )
    return Draft(summary, handling, department, draft.deadline)


def propose(
    session: Session, items: Sequence[Item], draft: Draft, user_id: int | None, now: datetime
) -> Proposal:
    """A new proposal on ``items`` (one unit; the caller checked the user may open each)."""
    if not items:
        raise ProposalError("Chọn ít nhất một mục để đề xuất.")
    if len(items) > ITEMS_MAX:
        raise ProposalError(f"Một đề xuất gồm tối đa {ITEMS_MAX} mục; tách thành nhiều đề xuất.")
    units = {item.unit_id for item in items}
    if len(units) > 1:
        raise ProposalError(
            "Các mục thuộc nhiều đơn vị; mỗi đề xuất chỉ gửi lãnh đạo của một đơn vị. "
            "Tách thành một đề xuất cho mỗi đơn vị."
        )
    if any(item.by_page for item in items):
        raise ProposalError("Bài hoặc bình luận của chính Trang không cần đề xuất.")
    busy = _pending_for(session, [item.id for item in items])
    if busy:
        listed = ", ".join(f"#{item_id} (đề xuất #{p})" for item_id, p in sorted(busy.items()))
        raise ProposalError(
            f"Đã có đề xuất đang chờ chỉ đạo cho {listed}; mở đề xuất đó để bổ sung, "
            "hoặc chờ lãnh đạo cho ý kiến."
        )
    clean = _clean(draft, to_local(now).date())
    proposal = Proposal(
        unit_id=units.pop(),
        summary=clean.summary,
        handling=clean.handling,
        department=clean.department,
        deadline=end_of(clean.deadline),
        state="pending",
        proposed_by=user_id,
        proposed_at=now,
        version=0,
    )
    session.add(proposal)
    session.flush()
    session.add_all(ProposalItem(proposal_id=proposal.id, item_id=item.id) for item in items)
    _audit(session, proposal, [i.id for i in items], user_id, "proposal_created", None, now)
    return proposal


def _pending_for(session: Session, item_ids: Collection[int]) -> dict[int, int]:
    rows = session.execute(
        select(ProposalItem.item_id, Proposal.id)
        .join(Proposal, Proposal.id == ProposalItem.proposal_id)
        .where(ProposalItem.item_id.in_(sorted(item_ids)), Proposal.state == "pending")
    )
    return {item_id: proposal_id for item_id, proposal_id in rows}


def decide(
    session: Session,
    proposal: Proposal,
    decision: str,
    direction: str,
    user_id: int,
    now: datetime,
    *,
    version: int,
    change: Draft | None = None,
) -> None:
    """A leader's decision on the pending proposal read at ``version``.

    ``approved``: as proposed (a direction is optional); ``changed``: approved with the leader's
    department and deadline (``change``) and a direction saying what changed; ``returned``: back
    to the officers with a direction saying what to do.
    """
    if decision not in DECISIONS:
        raise ProposalError(f"Quyết định {decision!r} không hợp lệ; chọn một trong {DECISIONS}.")
    direction = direction.strip()
    if decision != "approved" and not direction:
        raise ProposalError(
            "Ghi ý kiến chỉ đạo: điều chỉnh gì, hoặc vì sao trả lại và cần làm gì tiếp."
        )
    if len(direction) > TEXT_MAX:
        raise ProposalError(f"Ý kiến chỉ đạo tối đa {TEXT_MAX} ký tự.")
    department, deadline = proposal.department, proposal.deadline
    if decision == "changed":
        if change is None:
            raise ProposalError("Ghi phòng ban hoặc hạn mới khi đồng ý có điều chỉnh.")
        clean = _clean(change, to_local(now).date())
        department, deadline = clean.department, end_of(clean.deadline)
    values: dict[str, Any] = {
        "state": decision,
        "direction": direction or None,
        "directed_by": user_id,
        "directed_at": now,
        "version": Proposal.version + 1,
    }
    if decision in DIRECTED:
        values |= {"directed_department": department, "directed_deadline": deadline}
    _conditional(session, proposal, "pending", version, values)
    after = {"state": decision, "direction": direction or None}
    if decision in DIRECTED:
        after |= {"department": department, "deadline": _iso(deadline)}
    _audit(session, proposal, item_ids(session, proposal.id), user_id, "direction", after, now)


def revise(
    session: Session,
    proposal: Proposal,
    draft: Draft,
    user_id: int | None,
    now: datetime,
    *,
    version: int,
) -> None:
    """The officers' new version of a returned proposal; it waits for a direction again. The
    leader's earlier direction stays on it (and in the audit log) until the next decision."""
    clean = _clean(draft, to_local(now).date())
    values = {
        "state": "pending",
        "summary": clean.summary,
        "handling": clean.handling,
        "department": clean.department,
        "deadline": end_of(clean.deadline),
        "version": Proposal.version + 1,
    }
    _conditional(session, proposal, "returned", version, values)
    after = {"state": "pending", "summary": clean.summary, "deadline": _iso(end_of(clean.deadline))}
    _audit(
        session, proposal, item_ids(session, proposal.id), user_id, "proposal_revised", after, now
    )


def _conditional(
    session: Session, proposal: Proposal, state: str, version: int, values: dict[str, Any]
) -> None:
    result = session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id, Proposal.state == state, Proposal.version == version)
        .values(**values)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise ProposalError(
            f"Đề xuất #{proposal.id} vừa được người khác chỉ đạo hoặc sửa (trạng thái hiện tại "
            "khác trang bạn đang xem). Tải lại trang, đọc bản mới rồi quyết định."
        )
    session.refresh(proposal)


def _audit(
    session: Session,
    proposal: Proposal,
    items: Iterable[int],
    user_id: int | None,
    action: str,
    after: dict[str, Any] | None,
    now: datetime,
) -> None:
    detail = {"proposal_id": proposal.id, **(after or _snapshot(proposal))}
    for item_id in items:
        audit(session, user_id, action, item_id, None, detail, now)


def _snapshot(proposal: Proposal) -> dict[str, Any]:
    return {
        "state": proposal.state,
        "summary": proposal.summary,
        "handling": proposal.handling,
        "department": proposal.department,
        "deadline": _iso(proposal.deadline),
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else to_local(moment).isoformat()


# ------------------------------------------------------------------------------ reading


def item_ids(session: Session, proposal_id: int) -> list[int]:
    return list(
        session.scalars(
            select(ProposalItem.item_id)
            .where(ProposalItem.proposal_id == proposal_id)
            .order_by(ProposalItem.item_id)
        )
    )


def items_of(session: Session, proposal_id: int) -> list[Item]:
    return list(
        session.scalars(
            select(Item)
            .join(ProposalItem, ProposalItem.item_id == Item.id)
            .where(ProposalItem.proposal_id == proposal_id)
            .order_by(Item.id)
        )
    )


def proposals_for(session: Session, item_ids_: Collection[int]) -> dict[int, list[Proposal]]:
    """Every proposal covering each item, newest first."""
    out: dict[int, list[Proposal]] = {i: [] for i in item_ids_}
    if not item_ids_:
        return out
    rows = session.execute(
        select(ProposalItem.item_id, Proposal)
        .join(Proposal, Proposal.id == ProposalItem.proposal_id)
        .where(ProposalItem.item_id.in_(sorted(item_ids_)))
        .order_by(Proposal.id.desc())
    )
    for item_id, proposal in rows:
        out[item_id].append(proposal)
    return out


def listed(
    session: Session,
    units: Collection[str] | None,
    states: Collection[str],
    *,
    limit: int = 100,
) -> list[Proposal]:
    """Proposals of ``units`` (None: every unit) in ``states``, oldest pending first."""
    query = select(Proposal).where(Proposal.state.in_(sorted(states)))
    if units is not None:
        query = query.where(Proposal.unit_id.in_(sorted(units)))
    order = Proposal.proposed_at if set(states) == {"pending"} else Proposal.id.desc()
    return list(session.scalars(query.order_by(order, Proposal.id).limit(limit)))


def awaiting_direction(session: Session, unit_id: str) -> int:
    """How many proposals of the unit wait for a leader (for the morning digest)."""
    return len(
        session.scalars(
            select(Proposal.id).where(Proposal.unit_id == unit_id, Proposal.state == "pending")
        ).all()
    )


# ------------------------------------------------------- answers that wait for a direction


def rules(session: Session, units: Collection[str] | None = None) -> set[tuple[str, str]]:
    """``(unit, category)`` pairs whose answers need an approved direction."""
    query = select(DirectionRule.unit_id, DirectionRule.category)
    if units is not None:
        query = query.where(DirectionRule.unit_id.in_(sorted(units)))
    return {(unit, category) for unit, category in session.execute(query)}


def require_direction(
    session: Session,
    unit_id: str,
    category: str,
    required: bool,
    user_id: int | None,
    now: datetime,
) -> bool:
    """Switch the rule for one unit and category; True when it changed (audited)."""
    if category not in CATEGORY_NAMES:
        raise ProposalError(
            f"Loại {category!r} không hợp lệ; chọn một trong {list(CATEGORY_NAMES)}."
        )
    if session.get(Unit, unit_id) is None:
        raise ProposalError(f"Không có đơn vị {unit_id!r}.")
    found = session.get(DirectionRule, (unit_id, category))
    if required == (found is not None):
        return False
    if required:
        session.add(DirectionRule(unit_id=unit_id, category=category, set_by=user_id, set_at=now))
    else:
        session.execute(
            delete(DirectionRule).where(
                DirectionRule.unit_id == unit_id, DirectionRule.category == category
            )
        )
    detail = {"unit": unit_id, "category": category, "required": required}
    audit(session, user_id, "direction_rule", None, None, detail, now)
    return True


def direction_gate(session: Session, item: Item) -> str | None:
    """Why an answer to the citizen must wait for a leader's direction, or None.

    Asked by ``storage.replies.create_reply``: the unit requires a direction for the item's
    category and no proposal covering the item has been approved (as proposed or changed).
    """
    if item.category is None or session.get(DirectionRule, (item.unit_id, item.category)) is None:
        return None
    found = proposals_for(session, [item.id])[item.id]
    if any(p.state in DIRECTED for p in found):
        return None
    kind = CATEGORY_NAMES.get(item.category, item.category)
    pending = next((p for p in found if p.state == "pending"), None)
    if pending is not None:
        return (
            f"Mục loại {kind} chỉ được trả lời sau khi có ý kiến chỉ đạo của Lãnh đạo; "
            f"đề xuất #{pending.id} đang chờ chỉ đạo. Trả lời được ngay khi lãnh đạo đồng ý."
        )
    returned = next((p for p in found if p.state == "returned"), None)
    if returned is not None:
        return (
            f"Lãnh đạo đã trả lại đề xuất #{returned.id} cho mục này ({returned.direction}). "
            "Sửa đề xuất theo ý kiến chỉ đạo và gửi lại; trả lời được khi lãnh đạo đồng ý."
        )
    return (
        f"Mục loại {kind} của đơn vị này chỉ được trả lời sau khi có ý kiến chỉ đạo của Lãnh "
        "đạo. Gửi đề xuất xin ý kiến chỉ đạo (ở phần 'Đề xuất, chỉ đạo' trên trang mục) rồi "
        "trả lời khi lãnh đạo đồng ý."
    )


def extensions(session: Session, item_ids_: Collection[int]) -> dict[int, Proposal]:
    """Items whose deadline a leader's direction moved later than the item's own deadline
    (gia hạn): the direction that did it, the latest one for each item."""
    out: dict[int, Proposal] = {}
    if not item_ids_:
        return out
    rows = session.execute(
        select(Item.id, Item.due_at, Proposal)
        .join(ProposalItem, ProposalItem.item_id == Item.id)
        .join(Proposal, Proposal.id == ProposalItem.proposal_id)
        .where(
            Item.id.in_(sorted(item_ids_)),
            Proposal.state.in_(DIRECTED),
            Proposal.directed_deadline.is_not(None),
        )
        .order_by(Proposal.directed_at)
    )
    for item_id, due_at, proposal in rows:
        moved_to = proposal.directed_deadline
        if due_at is not None and moved_to is not None and moved_to > due_at:
            out[item_id] = proposal
    return out
