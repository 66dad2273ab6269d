"""Hiding a comment on the Page without losing it: the web writes a request, the daemon acts.

An officer hides a citizen's comment that is spam, abuse, or that published someone's phone
or ID number by mistake (and shows it again if that was wrong). Nothing is deleted: Facebook
keeps a hidden comment visible to its author and friends, and pakn keeps the item, its text
(``text_kept`` on the request, as it read when the officer asked) and the reason in the audit
log. Only the daemon holds page tokens, so the web only writes a ``ModerationRequest``.

At most once, like replies (storage/replies.py): the daemon claims a request with a
conditional UPDATE before the ``POST /{comment-id}`` (``is_hidden``), records Facebook's
answer only while the claim is still its own, and never picks up a request left in
``sending``: once its claim has expired, or when Facebook's answer was "maybe applied", it
becomes ``unknown`` and an officer who looked at the Page settles it (``confirm``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage import claims
from storage.audit import record as audit
from storage.tables import Item, ModerationRequest

REASONS = {
    "spam": "Quảng cáo, spam, lừa đảo",
    "abuse": "Xúc phạm, đe dọa, lời lẽ thô tục",
    "personal_data": "Lộ số điện thoại, số CCCD hoặc dữ liệu cá nhân",
    "other": "Lý do khác",
}
ACTION_NAMES = {"hide": "Ẩn bình luận", "unhide": "Hiện lại bình luận"}
STATE_NAMES = {
    "pending": "Chờ gửi lên Facebook",
    "sending": "Đang gửi",
    "done": "Đã thực hiện",
    "failed": "Không thực hiện được",
    "unknown": "Không rõ đã thực hiện chưa: kiểm tra trên trang",
    "cancelled": "Đã hủy",
}
OPEN_STATES = ("pending", "sending", "unknown")
NOTE_MAX = 1000


class ModerationRefusedError(ValueError):
    """The request is refused; the message says why and what to do instead."""


def request(
    session: Session,
    item: Item,
    action: str,
    reason: str,
    note: str | None,
    user_id: int | None,
    now: datetime,
) -> ModerationRequest:
    """Queue hiding (or showing again) the item's comment on the Page, with the reason."""
    if action not in ACTION_NAMES:
        raise ModerationRefusedError(f"Thao tác {action!r} không hợp lệ; chọn hide hoặc unhide.")
    if reason not in REASONS:
        raise ModerationRefusedError(f"Chọn một lý do trong danh sách: {', '.join(REASONS)}.")
    note = (note or "").strip() or None
    if reason == "other" and note is None:
        raise ModerationRefusedError("Với 'Lý do khác', ghi rõ lý do để lưu vào nhật ký.")
    if note is not None and len(note) > NOTE_MAX:
        raise ModerationRefusedError(f"Ghi chú tối đa {NOTE_MAX} ký tự.")
    _check_item(session, item, action)
    found = ModerationRequest(
        item_id=item.id,
        action=action,
        reason=reason,
        note=note,
        text_kept=item.text or "",
        status="pending",
        requested_by=user_id,
        created_at=now,
        updated_at=now,
        attempts=0,
    )
    session.add(found)
    session.flush()
    detail = {"request_id": found.id, "action": action, "reason": reason, "note": note}
    audit(session, user_id, "moderation_requested", item.id, {"hidden": item.hidden}, detail, now)
    return found


def _check_item(session: Session, item: Item, action: str) -> None:
    if item.source != "facebook_comment" or item.by_page:
        raise ModerationRefusedError(
            "Chỉ ẩn được bình luận của người dân trên Trang; tin nhắn và bài của Trang thì không."
        )
    if item.deleted:
        raise ModerationRefusedError(
            "Người viết đã xóa bình luận này trên Facebook; không còn gì để ẩn. Nội dung vẫn "
            "được lưu trong pakn."
        )
    waiting = open_request(session, item.id)
    if waiting is not None:
        raise ModerationRefusedError(
            f"Đã có yêu cầu #{waiting.id} ({ACTION_NAMES[waiting.action].lower()}) chưa xong; "
            "chờ chương trình nền thực hiện, hoặc xử lý yêu cầu đó trước."
        )
    if action == "hide" and item.hidden:
        raise ModerationRefusedError("Bình luận này đang ẩn trên Trang rồi.")
    if action == "unhide" and not item.hidden:
        raise ModerationRefusedError("Bình luận này đang hiện trên Trang; không cần hiện lại.")


def open_request(session: Session, item_id: int) -> ModerationRequest | None:
    return session.scalar(
        select(ModerationRequest)
        .where(ModerationRequest.item_id == item_id, ModerationRequest.status.in_(OPEN_STATES))
        .order_by(ModerationRequest.id.desc())
        .limit(1)
    )


def history(session: Session, item_id: int) -> list[ModerationRequest]:
    return list(
        session.scalars(
            select(ModerationRequest)
            .where(ModerationRequest.item_id == item_id)
            .order_by(ModerationRequest.id.desc())
        )
    )


# ------------------------------------------------------------------------- the daemon's side


def due_targets(session: Session, limit: int = 200) -> list[tuple[int, str | None]]:
    """(request id, page id) of the pending requests, oldest first (see replies.due_targets)."""
    rows = session.execute(
        select(ModerationRequest.id, Item.page_id)
        .join(Item, Item.id == ModerationRequest.item_id)
        .where(ModerationRequest.status == "pending")
        .order_by(ModerationRequest.id)
        .limit(limit)
    )
    return [(request_id, page_id) for request_id, page_id in rows]


def claim(
    session: Session, request_id: int, owner: str, now: datetime, lease: timedelta
) -> ModerationRequest | None:
    """Take one pending request (conditional UPDATE); None when another daemon did."""
    return claims.claim(session, ModerationRequest, request_id, owner, now, lease)


def expire_stale(session: Session, now: datetime, reason: str) -> list[ModerationRequest]:
    """Requests whose sender's claim expired while ``sending`` become ``unknown`` (audited):
    the sender may have died after Facebook applied it."""
    expired = claims.expire_stale(session, ModerationRequest, now, reason)
    for found in expired:
        _audit_state(session, found, None, "moderation_unknown", now, reason=reason)
    return expired


def _still_ours(
    session: Session, request_id: int, owner: str, now: datetime
) -> ModerationRequest | None:
    return claims.still_ours(session, ModerationRequest, request_id, owner, now)


def record_done(session: Session, request_id: int, owner: str, now: datetime) -> bool:
    """Facebook applied it; False (nothing written) when the claim was lost."""
    found = _still_ours(session, request_id, owner, now)
    if found is None:
        return False
    _done(session, found, None, now)
    return True


def record_failed(
    session: Session,
    request_id: int,
    owner: str,
    reason: str,
    now: datetime,
    *,
    retry_at: datetime | None = None,
) -> bool:
    """Facebook certainly did not apply it: failed, or back to pending to try at ``retry_at``."""
    found = _still_ours(session, request_id, owner, now)
    if found is None:
        return False
    mark_failed(session, found, reason, now, retry=retry_at is not None)
    return True


def mark_failed(
    session: Session, found: ModerationRequest, reason: str, now: datetime, *, retry: bool = False
) -> None:
    found.attempts += 1
    found.error, found.updated_at = reason, now
    found.claimed_by, found.claimed_until = None, None
    if retry:
        found.status = "pending"
        return
    found.status = "failed"
    _audit_state(session, found, None, "moderation_failed", now, reason=reason)


def record_unknown(
    session: Session, request_id: int, owner: str, reason: str, now: datetime
) -> bool:
    """Facebook may have applied it ("maybe sent"); False when the claim was lost."""
    found = _still_ours(session, request_id, owner, now)
    if found is None:
        return False
    if found.status != "unknown":
        found.attempts += 1
    found.status, found.error, found.updated_at = "unknown", reason, now
    _audit_state(session, found, None, "moderation_unknown", now, reason=reason)
    return True


def _done(session: Session, found: ModerationRequest, user_id: int | None, now: datetime) -> None:
    found.status, found.done_at, found.updated_at, found.error = "done", now, now, None
    found.attempts += 1
    item = session.get(Item, found.item_id)
    if item is not None:
        item.hidden = found.action == "hide"
    action = "comment_hidden" if found.action == "hide" else "comment_unhidden"
    _audit_state(session, found, user_id, action, now)


def _audit_state(
    session: Session,
    found: ModerationRequest,
    user_id: int | None,
    action: str,
    now: datetime,
    **extra: Any,
) -> None:
    detail = {"request_id": found.id, "action": found.action, "reason": found.reason, **extra}
    audit(session, user_id, action, found.item_id, None, detail, now)


# ------------------------------------------------------------------- an officer settles one


def confirm(
    session: Session, found: ModerationRequest, applied: bool, user_id: int, now: datetime
) -> None:
    """An officer looked at the Page for a request left ``unknown``: it was applied (done), or
    it was not and is sent again (deliberate and audited)."""
    values: dict[str, Any] = {"updated_at": now, "claimed_by": None, "claimed_until": None}
    values |= {"status": "done", "done_at": now} if applied else {"status": "pending"}
    result = session.execute(
        update(ModerationRequest)
        .where(ModerationRequest.id == found.id, ModerationRequest.status == "unknown")
        .values(**values)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise ModerationRefusedError(
            "Yêu cầu vừa đổi trạng thái (chương trình nền vừa ghi kết quả). Tải lại trang."
        )
    session.refresh(found)
    if applied:
        item = session.get(Item, found.item_id)
        if item is not None:
            item.hidden = found.action == "hide"
        _audit_state(session, found, user_id, "moderation_confirmed", now, applied=True)
    else:
        _audit_state(session, found, user_id, "moderation_resend_checked", now, applied=False)


def cancel(session: Session, found: ModerationRequest, user_id: int, now: datetime) -> None:
    """Withdraw a request the daemon has not taken yet."""
    result = session.execute(
        update(ModerationRequest)
        .where(ModerationRequest.id == found.id, ModerationRequest.status == "pending")
        .values(status="cancelled", updated_at=now)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise ModerationRefusedError(
            "Chương trình nền đã nhận yêu cầu này; không hủy được nữa. Tải lại trang để xem."
        )
    session.refresh(found)
    _audit_state(session, found, user_id, "moderation_cancelled", now)


def requests_of(session: Session, ids: Sequence[int]) -> list[ModerationRequest]:
    if not ids:
        return []
    return list(
        session.scalars(select(ModerationRequest).where(ModerationRequest.id.in_(sorted(ids))))
    )
