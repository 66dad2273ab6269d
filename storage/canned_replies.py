"""Canned replies: each unit's ready answers to what citizens ask every day (VNeID, online
public services, office hours, "received and passed on").

Admins keep them per unit (/admin/canned-replies); an officer picks one by typing ``/`` in the
reply box and edits it before sending. A unit with no template at all gets ``DEFAULTS`` on first
use; templates are switched off, never deleted, so defaults do not come back uninvited.

Three placeholders are filled for the item being answered (``fill``):

- ``{ten_nguoi_dan}``: the citizen's display name, only when the identity policy lets it leave
  the web (storage.visibility.reveal with no person behind the audience): never for a
  denunciation nor for its sender's other messages; "anh/chị" instead, as when no name is known;
- ``{ma_muc}``: the item's number;
- ``{han_xu_ly}``: its deadline in Hà Nội time, or "trong thời gian sớm nhất" without one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.audit import record as audit
from storage.search_text import fold
from storage.tables import CannedReply, Item
from storage.visibility import reveal, shield_for
from storage.workdays import deadline_text

PLACEHOLDERS: Final = ("ten_nguoi_dan", "ma_muc", "han_xu_ly")
NO_NAME: Final = "anh/chị"
NO_DEADLINE: Final = "trong thời gian sớm nhất"
MAX_TITLE: Final = 120
MAX_BODY: Final = 4000
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

DEFAULTS: Final[tuple[tuple[str, str], ...]] = (
    (
        "VNeID – tài khoản định danh điện tử",
        "Chào {ten_nguoi_dan}, UBND xin trả lời câu hỏi của anh/chị (mã số {ma_muc}) về tài "
        "khoản định danh điện tử VNeID:\n"
        "- Mức 1: tự đăng ký trên ứng dụng VNeID bằng số căn cước và số điện thoại chính chủ.\n"
        "- Mức 2: mang thẻ căn cước và điện thoại đến Công an xã/phường nơi cư trú để được "
        "chụp ảnh, lấy vân tay và kích hoạt tài khoản.\n"
        'Nếu quên mật khẩu, chọn "Quên mật khẩu" trên ứng dụng hoặc đến Công an xã/phường để '
        "được hỗ trợ. Trân trọng.",
    ),
    (
        "Dịch vụ công trực tuyến",
        "Chào {ten_nguoi_dan}, anh/chị có thể nộp hồ sơ trực tuyến trên Cổng Dịch vụ công quốc "
        "gia (dichvucong.gov.vn), đăng nhập bằng tài khoản VNeID mức 2. Sau khi nộp, hệ thống "
        "gửi mã hồ sơ để anh/chị tra cứu tiến độ. Nếu cần hướng dẫn, anh/chị đến Bộ phận Một "
        "cửa của UBND trong giờ làm việc, cán bộ sẽ hỗ trợ trực tiếp. Trân trọng.",
    ),
    (
        "Giờ làm việc của Bộ phận Một cửa",
        "Chào {ten_nguoi_dan}, Bộ phận Một cửa của UBND tiếp nhận hồ sơ từ thứ Hai đến thứ Sáu: "
        "sáng từ 7 giờ 30 đến 11 giờ 30, chiều từ 13 giờ 30 đến 17 giờ (trừ ngày nghỉ lễ, Tết). "
        "Anh/chị nhớ mang theo thẻ căn cước khi đến làm thủ tục. Trân trọng.",
    ),
    (
        "Đã tiếp nhận và chuyển phòng chuyên môn",
        "Chào {ten_nguoi_dan}, UBND đã tiếp nhận phản ánh, kiến nghị của anh/chị (mã số "
        "{ma_muc}) và chuyển đến bộ phận chuyên môn xem xét, giải quyết. Thời hạn trả lời: "
        "{han_xu_ly}. Kết quả sẽ được thông báo lại cho anh/chị. Cảm ơn anh/chị đã phản ánh.",
    ),
    (
        "Đề nghị bổ sung thông tin",
        "Chào {ten_nguoi_dan}, để xem xét phản ánh (mã số {ma_muc}), đề nghị anh/chị nhắn tin "
        "cho trang địa điểm cụ thể (thôn/tổ dân phố, tên đường), thời gian xảy ra và hình ảnh "
        "nếu có. Cảm ơn anh/chị.",
    ),
)


class CannedReplyError(ValueError):
    """The template cannot be saved as written; the message says what to change."""


@dataclass(frozen=True)
class Canned:
    """A template as the picker and the admin page show it; ``id`` None: a default not stored
    yet (``store_defaults`` keeps it on the first use)."""

    id: int | None
    unit_id: str
    title: str
    body: str
    active: bool = True


def unit_templates(session: Session, unit_id: str, *, with_inactive: bool = False) -> list[Canned]:
    """The unit's templates, or the defaults when it never had one; in the order of their
    titles as a Vietnamese reader looks them up (``_title_order``), the same before and after
    the defaults are stored and on either database."""
    rows = list(session.scalars(select(CannedReply).where(CannedReply.unit_id == unit_id)))
    if not rows:
        found = [Canned(None, unit_id, title, body) for title, body in DEFAULTS]
    else:
        found = [
            Canned(r.id, r.unit_id, r.title, r.body, r.active)
            for r in rows
            if r.active or with_inactive
        ]
    return sorted(found, key=lambda c: _title_order(c.title))


def _title_order(title: str) -> tuple[str, str]:
    """The title without its marks and case, then as written: the same order on SQLite and
    PostgreSQL, whose collations differ, and close to how a Vietnamese reader looks one up."""
    return fold(title), title


def store_defaults(session: Session, unit_id: str, now: datetime) -> None:
    """Keep the defaults of a unit that has no template (insert-or-ignore: two officers
    opening their first item at once store them once)."""
    if session.scalar(select(CannedReply.id).where(CannedReply.unit_id == unit_id).limit(1)):
        return
    rows = [
        {
            "unit_id": unit_id,
            "title": title,
            "body": body,
            "active": True,
            "created_at": now,
            "updated_at": now,
        }
        for title, body in DEFAULTS
    ]
    session.execute(_insert_ignore(session), rows)


def _insert_ignore(session: Session) -> Any:
    module: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(CannedReply.__table__).on_conflict_do_nothing(
        index_elements=["unit_id", "title"]
    )


def save_template(
    session: Session,
    unit_id: str,
    *,
    title: str,
    body: str,
    active: bool = True,
    template_id: int | None = None,
    user_id: int | None,
    now: datetime,
) -> CannedReply:
    """Add a template to the unit, or change one of its own (audited)."""
    title, body = _checked(title, body)
    store_defaults(session, unit_id, now)  # a unit's first own template joins its defaults
    found = session.get(CannedReply, template_id) if template_id is not None else None
    if template_id is not None and (found is None or found.unit_id != unit_id):
        raise CannedReplyError("Không tìm thấy câu trả lời mẫu này; tải lại trang rồi sửa lại.")
    clash = session.scalar(
        select(CannedReply.id).where(CannedReply.unit_id == unit_id, CannedReply.title == title)
    )
    if clash is not None and clash != template_id:
        raise CannedReplyError(f"Đơn vị đã có mẫu tên “{title}”; đặt tên khác hoặc sửa mẫu đó.")
    before = None if found is None else {"title": found.title, "active": found.active}
    if found is None:
        found = CannedReply(unit_id=unit_id, created_at=now)
        session.add(found)
    found.title, found.body, found.active = title, body, active
    found.updated_at, found.updated_by = now, user_id
    session.flush()
    after = {"canned_reply_id": found.id, "unit": unit_id, "title": title, "active": active}
    audit(session, user_id, "canned_reply_saved", None, before, after, now)
    return found


def _checked(title: str, body: str) -> tuple[str, str]:
    title, body = " ".join(title.split()), body.strip()
    if not title or not body:
        raise CannedReplyError("Mẫu cần có cả tên và nội dung; điền đủ rồi lưu lại.")
    if len(title) > MAX_TITLE or len(body) > MAX_BODY:
        raise CannedReplyError(
            f"Tên mẫu tối đa {MAX_TITLE} ký tự, nội dung tối đa {MAX_BODY} ký tự; rút gọn lại."
        )
    unknown = [p for p in _PLACEHOLDER.findall(body) if p not in PLACEHOLDERS]
    if unknown:
        allowed = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
        raise CannedReplyError(
            f"Không hiểu chỗ điền {{{unknown[0]}}}; chỉ dùng được {allowed} (gõ đúng, không dấu)."
        )
    return title, body


def fill(session: Session, body: str, item: Item) -> str:
    """The template's text for ``item``: its placeholders filled as the module says."""
    shown = reveal(item, shield_for(session, [item]).guard(item), None)
    name = shown.author_name if shown.known and not item.confidential else None
    values = {
        "ten_nguoi_dan": (name or "").strip() or NO_NAME,
        "ma_muc": str(item.id),
        "han_xu_ly": deadline_words(item.due_at),
    }
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), body)


def deadline_words(due_at: datetime | None) -> str:
    """ "17:00 ngày 12/03/2026", "hết ngày 12/03/2026" for a deadline at the end of the day."""
    return NO_DEADLINE if due_at is None else deadline_text(due_at)
