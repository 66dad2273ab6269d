"""The officers' queue: status transitions, assignment, notes, duplicates and label review.

Every change is written to the audit log (who, when, before, after) in the caller's transaction.
The workflow follows the research notes (vn-domain §7.3): new → acknowledged → in_triage →
assigned → in_progress → answered → closed, with waiting_citizen, transferred, not_actionable
and reopened on the side. ``TRANSITIONS`` is the whole rule; nothing else moves an item, except
the reply sender marking an item answered when its reply went out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.audit import record as audit
from storage.deadlines import CATEGORIES
from storage.departments import department_id_named, route
from storage.ingest import IngestPolicy
from storage.reports import STATUS_NAMES
from storage.small_talk import leave_small_talk
from storage.tables import OPEN_STATUSES, STATUSES, Item, Note, User, UserUnit
from storage.visibility import confidential_after_review

TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    "new": frozenset({"acknowledged", "in_triage", "assigned", "transferred", "not_actionable"}),
    "acknowledged": frozenset(
        {"in_triage", "assigned", "waiting_citizen", "transferred", "not_actionable"}
    ),
    "in_triage": frozenset(
        {"assigned", "in_progress", "waiting_citizen", "transferred", "not_actionable"}
    ),
    "assigned": frozenset({"in_progress", "in_triage", "waiting_citizen", "transferred"}),
    "in_progress": frozenset({"answered", "waiting_citizen", "assigned", "transferred"}),
    "waiting_citizen": frozenset({"in_triage", "in_progress", "closed", "not_actionable"}),
    "transferred": frozenset({"closed", "reopened"}),
    "answered": frozenset({"closed", "in_progress", "reopened"}),
    "closed": frozenset({"reopened"}),
    "not_actionable": frozenset({"reopened"}),
    "reopened": frozenset({"in_triage", "assigned", "in_progress", "not_actionable"}),
}
# Reviewing the labels is triage (vn-domain §7.3, DANG_PHAN_LOAI): these move to in_triage.
_TRIAGE_STARTS = ("new", "acknowledged", "reopened")
_ASSIGNABLE = ("new", "acknowledged", "in_triage", "reopened")


class QueueError(ValueError):
    """The change is not allowed; the message says why and what to do instead.

    ``key`` names the refusal and ``values`` its particulars as codes (statuses, categories),
    so the web can say it in the user's language with display names (review/queue_errors.py);
    the message itself is Vietnamese with display names, for the command line and bulk lists.
    """

    def __init__(self, message: str, key: str = "other", **values: str) -> None:
        super().__init__(message)
        self.key = key
        self.values = values


def _status_name(status: str) -> str:
    return STATUS_NAMES.get(status, status)


# The step that usually follows: listed first, so a status form defaults to going forward
# (after "Nhận xử lý" an item is assigned, and its next step is in_progress, not in_triage).
USUAL_NEXT: Final[dict[str, str]] = {
    "new": "acknowledged",
    "acknowledged": "in_triage",
    "in_triage": "assigned",
    "assigned": "in_progress",
    "in_progress": "answered",
    "waiting_citizen": "in_progress",
    "transferred": "closed",
    "answered": "closed",
    "closed": "reopened",
    "not_actionable": "reopened",
    "reopened": "in_progress",
}


def allowed_next(status: str) -> list[str]:
    """The statuses an item may move to: the usual next step first, then workflow order."""
    targets = TRANSITIONS.get(status, frozenset())
    usual = USUAL_NEXT.get(status)
    return sorted((s for s in STATUSES if s in targets), key=lambda s: s != usual)


def change_status(session: Session, item: Item, status: str, user_id: int, now: datetime) -> None:
    if status not in TRANSITIONS.get(item.status, frozenset()):
        nexts = allowed_next(item.status)
        choices = ", ".join(f"“{_status_name(s)}”" for s in nexts) or "không còn bước nào"
        raise QueueError(
            f"Không chuyển được từ “{_status_name(item.status)}” sang “{_status_name(status)}”. "
            f"Chọn một bước hợp lệ tiếp theo: {choices}; tải lại trang nếu mục vừa được đổi.",
            "transition",
            current=item.status,
            wanted=status,
            choices=",".join(nexts),
        )
    _set_status(session, item, status, user_id, now)


def _set_status(session: Session, item: Item, status: str, user_id: int, now: datetime) -> None:
    before = item.status
    item.status = status
    if status == "acknowledged" and item.acknowledged_at is None:
        item.acknowledged_at = now
    if status == "answered":
        item.answered_at = now
    if status in ("closed", "not_actionable", "transferred"):
        item.closed_at = now
    if status == "reopened":
        # The deadline stays: only a citizen's "chưa hài lòng" starts a round with a fresh one
        # (storage/satisfaction.py); closing early and reopening must not buy time.
        item.closed_at = None
    audit(session, user_id, "status", item.id, {"status": before}, {"status": status}, now)


def assign(
    session: Session,
    item: Item,
    *,
    department: str | None,
    assignee_id: int | None,
    user_id: int,
    now: datetime,
) -> None:
    """Route to a department and (optionally) an officer who has access to the item's unit."""
    if assignee_id is not None and not _may_handle(session, assignee_id, item.unit_id):
        raise QueueError(
            "Cán bộ được chọn không thuộc đơn vị của mục này hoặc đã bị khoá; "
            "chọn cán bộ khác hoặc nhờ quản trị thêm đơn vị cho người đó.",
            "assignee",
        )
    before = {"department": item.department, "assignee_id": item.assignee_id}
    item.department = (department or "").strip() or None
    item.department_id = department_id_named(session, item.unit_id, item.department)
    item.assignee_id = assignee_id
    after = {"department": item.department, "assignee_id": item.assignee_id}
    if before != after:
        audit(session, user_id, "assign", item.id, before, after, now)
    if assignee_id is not None and item.status in _ASSIGNABLE:
        _set_status(session, item, "assigned", user_id, now)


def _may_handle(session: Session, user_id: int, unit_id: str) -> bool:
    user = session.get(User, user_id)
    if user is None or not user.active:
        return False
    if user.role == "admin":
        return True
    member = session.get(UserUnit, (user_id, unit_id))
    return member is not None


def add_note(session: Session, item: Item, text: str, user_id: int, now: datetime) -> Note:
    text = text.strip()
    if not text:
        raise QueueError("Ghi chú đang trống; viết nội dung rồi lưu lại.", "note_empty")
    note = Note(item_id=item.id, user_id=user_id, text=text, created_at=now)
    session.add(note)
    session.flush()
    audit(session, user_id, "note", item.id, None, {"note_id": note.id}, now)
    return note


def mark_duplicate(
    session: Session, item: Item, original_id: int, user_id: int, now: datetime
) -> Item:
    """Link ``item`` to the first report of the same matter and close it as not actionable."""
    original = session.get(Item, original_id)
    if original is None or original.unit_id != item.unit_id:
        raise QueueError(
            f"Không có mục #{original_id} trong cùng đơn vị; kiểm tra lại số mục gốc.",
            "no_original",
            original=str(original_id),
        )
    seen = {item.id}
    while original.duplicate_of_id is not None and original.id not in seen:
        # Link to the root so that "duplicates of" is one query and chains cannot loop.
        seen.add(original.id)
        parent = session.get(Item, original.duplicate_of_id)
        if parent is None:
            break
        original = parent
    if original.id == item.id:
        raise QueueError(
            "Một mục không thể trùng với chính nó; chọn mục gốc khác.", "self_duplicate"
        )
    if item.status not in OPEN_STATUSES:
        raise QueueError(
            f"Mục đang ở trạng thái “{_status_name(item.status)}”; chuyển sang “Mở lại” trước "
            "khi đánh dấu trùng.",
            "closed_duplicate",
            current=item.status,
        )
    before = item.duplicate_of_id
    item.duplicate_of_id = original.id
    audit(
        session,
        user_id,
        "duplicate",
        item.id,
        {"duplicate_of": before},
        {"duplicate_of": original.id},
        now,
    )
    _set_status(session, item, "not_actionable", user_id, now)
    return original


def duplicates_of(session: Session, item_id: int) -> list[Item]:
    return list(
        session.scalars(select(Item).where(Item.duplicate_of_id == item_id).order_by(Item.id))
    )


def review_labels(
    session: Session,
    item: Item,
    *,
    category: str,
    urgent: bool,
    field: str,
    user_id: int,
    now: datetime,
    policy: IngestPolicy,
) -> bool:
    """Confirm or correct the labels; True when they now differ from the classifier's.

    A change recomputes what follows from the labels: confidentiality (tố cáo), the deadline
    (from the time of receipt, or of a citizen's reopening for an item in its second round,
    under the rule for the new labels) and, when the field changed, the department.
    """
    if category not in CATEGORIES:
        raise QueueError(
            "Loại phản ánh đã chọn không có trong danh sách; tải lại trang rồi chọn lại.",
            "category",
        )
    before = _label_state(item)
    if (category, urgent) != (item.category, item.urgent) and policy.due_at is not None:
        start = item.reopened_at or item.created_time
        item.due_at, item.deadline_rule = policy.due_at(category, urgent, start)
    if field != item.field:
        route(session, item, field, policy.routing, now)
    item.category, item.urgent, item.field = category, urgent, field
    leave_small_talk(session, item, user_id, now)
    # tố cáo makes it confidential; only a leader lifts that (storage.visibility).
    item.confidential = confidential_after_review(session, item, category, user_id)
    item.labels_corrected = (category, urgent, field) != (
        item.pred_category,
        item.pred_urgent,
        item.pred_field,
    )
    item.labels_reviewed_by, item.labels_reviewed_at = user_id, now
    item.flagged = False  # reviewed: the reasons stay on the item as history
    after = _label_state(item)
    action = "labels_corrected" if after != before else "labels_confirmed"
    audit(session, user_id, action, item.id, before, after, now)
    if item.status in _TRIAGE_STARTS:
        _set_status(session, item, "in_triage", user_id, now)
    return item.labels_corrected


@dataclass
class BulkOutcome:
    """Which items a bulk action changed, and why it left the others as they were."""

    done: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def items_for_bulk(session: Session, ids: Sequence[int]) -> list[Item]:
    """The items a bulk action names, by id; ids of no item are left out."""
    return list(
        session.scalars(select(Item).where(Item.id.in_(sorted(set(ids)))).order_by(Item.id))
    )


def bulk(
    session: Session,
    items: Sequence[Item],
    change: Callable[[Item], object],
    *,
    refusals: tuple[type[Exception], ...] = (QueueError,),
) -> BulkOutcome:
    """Apply ``change`` (this module's functions, each audited as usual) to every item, each in
    a savepoint of its own: an item it refuses (``refusals``) is left exactly as it was, with
    the reason, and the others still change. The caller checked that the user may act on each."""
    outcome = BulkOutcome()
    for item in items:
        try:
            with session.begin_nested():
                change(item)
        except refusals as exc:
            outcome.refused[item.id] = str(exc)
        else:
            outcome.done.append(item.id)
    return outcome


def _label_state(item: Item) -> dict[str, Any]:
    return {
        "category": item.category,
        "urgent": item.urgent,
        "field": item.field,
        "confidential": item.confidential,
        "due_at": item.due_at,
        "deadline_rule": item.deadline_rule,
        "department": item.department,
    }


def training_examples(session: Session) -> list[tuple[str, str, bool, str, float]]:
    """Officer-reviewed items for retraining: (text, category, urgent, field, weight).

    A correction teaches the model something it got wrong, so it weighs twice a confirmation.
    """
    rows = session.execute(
        select(Item.text, Item.category, Item.urgent, Item.field, Item.labels_corrected)
        .where(
            Item.labels_reviewed_at.is_not(None),
            Item.category.is_not(None),
            Item.by_page.is_(False),
        )
        .order_by(Item.id)
    )
    return [
        (text, str(category), bool(urgent), field or "khac", 2.0 if corrected else 1.0)
        for text, category, urgent, field, corrected in rows
        if text.strip()
    ]
