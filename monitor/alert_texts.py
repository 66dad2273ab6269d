"""The Vietnamese texts of the notifications: short, with a link, never a denouncer's identity."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from classifier.labels import category_name, field_name
from storage.masking import excerpt
from storage.rejections import REASON_NAMES, REPAIRED, SetAsideGroup
from storage.reports import SOURCE_NAMES
from storage.tables import Item, Page, Reply
from storage.visibility import reveal, shield_around
from storage.workdays import VIETNAM_TZ, WEEKDAY_NAMES, deadline_text, ends_its_day

DIGEST_LIST_LIMIT = 20
REPLY_KIND_NAMES = {
    "public_comment": "bình luận công khai",
    "private_reply": "trả lời riêng",
    "messenger": "tin nhắn Messenger",
}


def when(moment: datetime | None) -> str:
    """``22:00 Chủ nhật 01/03/2026`` in Asia/Ho_Chi_Minh."""
    if moment is None:
        return "chưa có"
    local = moment.astimezone(VIETNAM_TZ)
    if ends_its_day(local):  # a day-long deadline (BLDS Điều 148): "hết ngày 01/03/2026"
        return f"{deadline_text(local)} ({WEEKDAY_NAMES[local.weekday()]})"
    return f"{local:%H:%M} {WEEKDAY_NAMES[local.weekday()]} {local:%d/%m/%Y}"


def item_link(public_url: str, item_id: int) -> str:
    return f"{public_url.rstrip('/')}/items/{item_id}"


def _labels(item: Item) -> str:
    category = category_name(item.category) if item.category else "Chưa phân loại"
    field = field_name(item.field) if item.field else "chưa rõ lĩnh vực"
    return f"{category} · {field}"


def _text(item: Item, limit: int) -> str:
    # An alert travels by e-mail and chat: nobody is entitled there (storage.visibility). The
    # author fields never appear; a denouncer's text also loses "tôi là …", numbers, addresses
    # and their name wherever a neighbour's text repeats it.
    return excerpt(reveal(item, shield_around(item), None).text, limit)


def urgent(item: Item, unit_name: str, public_url: str) -> tuple[str, str]:
    possible = "possible_urgent" in (item.flag_reasons or "").split(",")
    tag = "CÓ THỂ KHẨN" if possible else "KHẨN"
    subject = f"[{tag}] {unit_name}: {_labels(item)}"
    lines = [
        "CÓ THỂ KHẨN CẤP – máy phân loại chưa chắc chắn, xem ngay để quyết định."
        if possible
        else "Có phản ánh KHẨN cần xử lý ngay.",
        f"Đơn vị: {unit_name}",
        f"Loại: {_labels(item)}",
        f"Kênh: {SOURCE_NAMES.get(item.source, item.source)} · lúc {when(item.created_time)}",
        f"Nội dung: {_text(item, 200)}",
    ]
    if item.due_at is not None:
        lines.append(f"Hạn xử lý: {when(item.due_at)}")
    lines.append(f"Mở để xử lý: {item_link(public_url, item.id)}")
    return subject, "\n".join(lines)


def digest(
    unit_name: str,
    day: datetime,
    due: Sequence[Item],
    overdue: Sequence[Item],
    public_url: str,
    *,
    awaiting: int = 0,
) -> tuple[str, str]:
    """The morning list; ``awaiting`` proposals waiting for a leader's direction get a link to
    the leaders' "Chờ chỉ đạo" list (review/direction_views.py)."""
    local = day.astimezone(VIETNAM_TZ)
    subject = (
        f"Tổng hợp sáng {local:%d/%m/%Y} – {unit_name}: {len(due)} mục đến hạn hôm nay, "
        f"{len(overdue)} mục quá hạn"
    )
    lines = [f"{unit_name}, {WEEKDAY_NAMES[local.weekday()]} {local:%d/%m/%Y}.", ""]
    if not due and not overdue:
        lines.append("Không có mục nào đến hạn hôm nay hoặc quá hạn.")
    lines += _digest_block("Đến hạn trong ngày", due, public_url)
    lines += _digest_block("Quá hạn", overdue, public_url)
    if awaiting:
        lines += [f"Chờ chỉ đạo ({awaiting} đề xuất): {public_url.rstrip('/')}/directions/", ""]
    lines.append(f"Hàng đợi: {public_url.rstrip('/')}/")
    return subject, "\n".join(lines).strip()


def _digest_block(title: str, items: Sequence[Item], public_url: str) -> list[str]:
    if not items:
        return []
    lines = [f"{title} ({len(items)}):"]
    for item in items[:DIGEST_LIST_LIMIT]:
        department = f" · {item.department}" if item.department else ""
        lines.append(
            f"- #{item.id} {_labels(item)}{department} · hạn {when(item.due_at)}: "
            f"{_text(item, 80)} {item_link(public_url, item.id)}"
        )
    if len(items) > DIGEST_LIST_LIMIT:
        lines.append(f"… và {len(items) - DIGEST_LIST_LIMIT} mục khác trong hàng đợi.")
    return [*lines, ""]


_DOWN_HINTS = {
    "token": "Quản trị viên trang cần kết nối lại ứng dụng, lấy mã truy cập (access_token) "
    "mới, cập nhật tệp cấu hình rồi khởi động lại pakn.",
    "failures": "Xem lỗi gần nhất ở trên; nếu là lỗi mạng, kiểm tra kết nối Internet của máy "
    "chủ. Lệnh 'pakn pages' cho biết tình trạng từng trang.",
    "stale": "Kiểm tra daemon 'pakn run' còn chạy và máy chủ kết nối được tới Facebook "
    "(lệnh 'pakn pages').",
}
_DOWN_REASONS = {
    "token": "mã truy cập trang không còn hiệu lực, trang đã bị tạm dừng đọc",
    "failures": "{n} lần đọc liên tiếp thất bại",
    "stale": "không có lần đọc thành công nào trong hơn {minutes} phút",
}


def webhooks_silent(
    page: Page, unit_name: str, last_event_at: datetime, items_since: int
) -> tuple[str, str]:
    subject = f"[pakn] Webhook của trang {page.name} im lặng; vẫn đọc định kỳ"
    lines = [
        f"Trang: {page.name} ({page.id}) – {unit_name}",
        f"Sự kiện webhook gần nhất: {when(last_event_at)}; từ đó việc đọc định kỳ đã lưu "
        f"{items_since} mục mới mà webhook không báo.",
        "Không mục nào bị mất: pakn vẫn đọc trang theo chu kỳ, chỉ chậm hơn.",
        "Cách xử lý: chạy 'pakn doctor' để xem đăng ký webhook của trang; chạy lại "
        "'pakn webhooks subscribe'; kiểm tra 'pakn webhook' đang chạy, nginx và chứng chỉ HTTPS "
        "(Meta tắt webhook Messenger sau khoảng 1 giờ gửi lỗi liên tục).",
    ]
    return subject, "\n".join(lines)


def page_down(page: Page, unit_name: str, cause: str, minutes: int) -> tuple[str, str]:
    reason = _DOWN_REASONS[cause].format(n=page.consecutive_failures, minutes=minutes)
    subject = f"[pakn] Không đọc được trang {page.name}"
    lines = [
        f"Trang: {page.name} ({page.id}) – {unit_name}",
        f"Sự cố: {reason}.",
        f"Lần đọc thành công gần nhất: {when(page.last_success_at)}",
    ]
    if page.last_error:
        lines.append(f"Lỗi gần nhất ({when(page.last_error_at)}): {page.last_error}")
    lines.append(f"Cách xử lý: {_DOWN_HINTS[cause]}")
    lines.append("Bình luận và tin nhắn mới sẽ được đọc bù khi trang hoạt động lại.")
    return subject, "\n".join(lines)


def page_recovered(page: Page, unit_name: str, down_since: datetime) -> tuple[str, str]:
    subject = f"[pakn] Trang {page.name} đã đọc lại được"
    body = (
        f"Trang: {page.name} ({page.id}) – {unit_name}\n"
        f"Đọc thành công lúc {when(page.last_success_at)}; sự cố được báo lúc {when(down_since)}.\n"
        "Các mục trong thời gian gián đoạn được đọc bù tự động."
    )
    return subject, body


def reply_failed(reply: Reply, item: Item, unit_name: str, public_url: str) -> tuple[str, str]:
    kind = REPLY_KIND_NAMES.get(reply.kind, reply.kind)
    subject = f"[pakn] Gửi trả lời thất bại – mục #{item.id} ({unit_name})"
    body = (
        f"Trả lời ({kind}) cho mục #{item.id} – {_labels(item)} – không gửi được.\n"
        f"Lý do: {reply.error or 'không rõ'}\n"
        f"Lúc: {when(reply.updated_at)}\n"
        f"Mở mục để sửa nội dung hoặc gửi lại: {item_link(public_url, item.id)}"
    )
    return subject, body


def objects_set_aside(
    page: Page, unit_name: str, group: SetAsideGroup, pages_url: str
) -> tuple[str, str]:
    """Objects of a page Facebook served broken. Only counts, the kind of reason, the page and
    the row's number: the object itself (a denouncer's name, a token) never goes out."""
    reason = REASON_NAMES[group.reason]
    if group.outcome == REPAIRED:
        subject = f"[pakn] Trang {page.name}: {group.count} mục đã lưu sau khi sửa ({reason})"
        what = (
            f"{group.count} bình luận/tin nhắn Facebook gửi bị lỗi ({reason}) đã được sửa rồi "
            "lưu vào hàng đợi như mọi mục khác."
        )
        todo = "kiểm tra lại các mục này trong hàng đợi nếu cần; không phải làm gì thêm."
    else:
        subject = f"[pakn] Trang {page.name}: {group.count} đối tượng bị để riêng ({reason})"
        what = (
            f"{group.count} đối tượng Facebook gửi bị lỗi ({reason}) không lưu được thành mục "
            "và đã được để riêng (bảng rejected_payloads)."
        )
        todo = (
            "xem trong 'pakn pages' hoặc trang quản trị Trang; nếu lặp lại, báo người quản trị "
            "kỹ thuật kèm số tham chiếu."
        )
    lines = [
        f"Trang: {page.name} ({page.id}) – {unit_name}",
        f"{what} Từ {when(group.first_at)} đến {when(group.latest_at)}.",
        f"Tham chiếu: rejected_payloads #{group.latest_id}",
        "Không mất tin nào khác: các bình luận và tin nhắn khác của trang vẫn được đọc và lưu.",
        f"Cách xử lý: {todo} Tình trạng các trang: {pages_url}",
    ]
    return subject, "\n".join(lines)
