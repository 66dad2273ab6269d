"""``pakn call add``: log a hotline call from the command line (the web form's twin)."""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import click

from cli.main import App

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@click.group("call")
def call_group() -> None:
    """Cuộc gọi đường dây nóng."""


@call_group.command("add")
@click.option("--unit", required=True, help="Mã đơn vị nhận cuộc gọi, ví dụ cam-giang.")
@click.option("--text", help="Nội dung cuộc gọi (mặc định: đọc từ stdin).")
@click.option("--name", "caller", help="Họ tên người gọi.")
@click.option("--phone", help="Số điện thoại người gọi.")
@click.option(
    "--at", "at", help="Thời điểm gọi, giờ Việt Nam, dạng 2026-03-02T21:40 (mặc định: bây giờ)."
)
@click.option("--id", "call_id", help="Mã cuộc gọi; chạy lại với cùng mã không tạo mục mới.")
@click.pass_obj
def call_add(
    app: App,
    unit: str,
    text: str | None,
    caller: str | None,
    phone: str | None,
    at: str | None,
    call_id: str | None,
) -> None:
    """Ghi một cuộc gọi: nó vào hàng đợi qua cùng đường với bình luận và tin nhắn."""
    from cli.services import ingest_policy
    from storage.hotline import Call, log_call
    from storage.workdays import deadline_text

    content = (text if text is not None else sys.stdin.read()).strip()
    if not content:
        raise click.ClickException("Nội dung cuộc gọi đang trống: dùng --text hoặc gửi qua stdin.")
    call = Call(
        call_id=call_id or uuid.uuid4().hex,
        unit_id=unit,
        received=_received(at),
        text=content,
        caller_name=caller,
        phone=phone,
    )
    sessions = app.sessions(migrate=True)
    with sessions.begin() as session:
        policy = ingest_policy(app.settings, session)
        logged = log_call(session, call, policy=policy, now=datetime.now(UTC), user_id=None)
        item = logged.item
        state = "đã ghi" if logged.new else "đã có từ trước (cùng mã), không ghi thêm"
        due = deadline_text(item.due_at) if item.due_at else "—"
        urgent = " KHẨN" if item.urgent else ""
        click.echo(f"Mục #{item.id} {state}: {item.category}{urgent} · {item.field} · hạn {due}")


def _received(at: str | None) -> datetime:
    if not at:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise click.ClickException(f"--at {at!r} không đúng dạng; ví dụ 2026-03-02T21:40") from None
    return (moment.replace(tzinfo=VN) if moment.tzinfo is None else moment).astimezone(UTC)
