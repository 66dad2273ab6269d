"""Graph objects set aside (not stored) or repaired (stored after a fix), as the admins see
them: per page and kind of reason, for the alert and the pages' health.

A reason (rejected_payloads.reason) may quote the object: a broken time or id, which a probe
can fill with a name or a token. Only the kind of a reason (``reason_kind``), the counts and
the row's id ever leave this module for a log, a page or a notification.
Functions take a Session and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.tables import RejectedPayload

# What the pages' health counts, and how long one alert per page and kind of reason stands.
WINDOW = timedelta(hours=24)
# rejected_payloads.kind, as monitor/threads.py writes it.
NOT_STORED = "graph_object"
REPAIRED = "repaired"

# The kinds of reason monitor/normalize.py and monitor/threads.py write, by a fixed part of
# their text; checked in this order, one part of a joined reason ("a; b") at a time.
_MARKERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("time_clamped", ("thời gian ở tương lai", "thời gian trước khi có Facebook")),
    ("time_invalid", ("thời gian không hợp lệ", "thời gian thiếu múi giờ", "sai created_time")),
    ("too_deep", ("lồng quá sâu",)),
    ("not_object", ("không phải đối tượng JSON",)),
    ("nul", ("ký tự NUL",)),
    ("unicode", ("Unicode hỏng",)),
    ("too_long", ("đã cắt còn",)),
    ("sender", ("người gửi", "from không phải đối tượng")),
    ("bad_id", ("không có id", "id của")),
    ("text_type", ("message không phải chuỗi",)),
)
OTHER = "other"
# Vietnamese names of the kinds, for the CLI and the alerts (the web has review/translations).
REASON_NAMES = {
    "time_clamped": "thời gian ngoài khoảng hợp lý (đã lấy thời điểm đọc)",
    "time_invalid": "thời gian thiếu hoặc sai",
    "too_deep": "dữ liệu lồng quá sâu",
    "not_object": "không phải đối tượng JSON",
    "nul": "có ký tự NUL (đã bỏ)",
    "unicode": "có ký tự Unicode hỏng (đã thay)",
    "too_long": "nội dung hoặc tên quá dài (đã cắt)",
    "sender": "thông tin người gửi hỏng (người gửi coi như chưa rõ)",
    "bad_id": "id thiếu hoặc không lưu được",
    "text_type": "nội dung không phải chuỗi",
    OTHER: "lý do khác",
}
OUTCOME_NAMES = {NOT_STORED: "không lưu được", REPAIRED: "đã lưu sau khi sửa"}


def reason_kind(reason: str) -> str:
    """The kind of the first part of ``reason`` that has one; ``other`` when none has."""
    for part in reason.split("; "):
        for kind, markers in _MARKERS:
            if any(marker in part for marker in markers):
                return kind
    return OTHER


def reason_name(reason: str) -> str:
    return REASON_NAMES[reason_kind(reason)]


@dataclass(frozen=True)
class SetAsideGroup:
    """Objects of one page with one outcome and one kind of reason, within a window."""

    page_id: str
    outcome: str  # NOT_STORED or REPAIRED
    reason: str  # a kind of REASON_NAMES
    count: int
    first_at: datetime
    latest_at: datetime
    latest_id: int  # the newest rejected_payloads row: the reference admins quote


@dataclass(frozen=True)
class PageSetAside:
    """A page's set-aside objects within a window, for its health."""

    not_stored: int
    repaired: int
    latest_outcome: str
    latest_reason: str
    latest_at: datetime
    latest_id: int


def groups(session: Session, since: datetime) -> list[SetAsideGroup]:
    """Per page, outcome and kind of reason, the objects set aside since ``since``."""
    rows = session.execute(
        select(
            RejectedPayload.id,
            RejectedPayload.page_id,
            RejectedPayload.kind,
            RejectedPayload.reason,
            RejectedPayload.at,
        )
        .where(RejectedPayload.at >= since, RejectedPayload.page_id.is_not(None))
        .order_by(RejectedPayload.id)
    )
    found: dict[tuple[str, str, str], SetAsideGroup] = {}
    for row_id, page_id, outcome, reason, at in rows:
        key = (str(page_id), outcome, reason_kind(reason))
        was = found.get(key)
        found[key] = SetAsideGroup(
            *key,
            count=(was.count if was else 0) + 1,
            first_at=was.first_at if was else at,
            latest_at=at,
            latest_id=row_id,
        )
    return list(found.values())


def by_page(session: Session, since: datetime) -> dict[str, PageSetAside]:
    """Each page's objects set aside since ``since``, with the newest one's reason."""
    out: dict[str, PageSetAside] = {}
    for group in sorted(groups(session, since), key=lambda g: g.latest_id):
        was = out.get(group.page_id)
        counts = (was.not_stored, was.repaired) if was else (0, 0)
        out[group.page_id] = PageSetAside(
            not_stored=counts[0] + (group.count if group.outcome != REPAIRED else 0),
            repaired=counts[1] + (group.count if group.outcome == REPAIRED else 0),
            latest_outcome=group.outcome,
            latest_reason=group.reason,
            latest_at=group.latest_at,
            latest_id=group.latest_id,
        )
    return out
