"""``pakn run`` (the daemon) and ``pakn pages`` (each page's health)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from cli.main import App, pass_app
from storage.workdays import VIETNAM_TZ as VN

if TYPE_CHECKING:
    from storage.health import PageHealth
    from storage.rejections import PageSetAside


def build_daemon(app: App, **kwargs: Any) -> Any:
    from cli.services import ingest_policy
    from monitor.daemon import Daemon

    sessions = app.sessions(migrate=True)
    with sessions.begin() as session:
        policy = ingest_policy(app.settings, session)
    daemon = Daemon(app.settings, sessions, policy, **kwargs)
    daemon.sync()
    from monitor.jobs import register_jobs

    register_jobs(daemon)
    return daemon


@click.command()
@click.option(
    "--once", is_flag=True, help="Chạy mọi tác vụ một lần rồi thoát (mã 1 nếu có trang lỗi)."
)
@pass_app
def run(app: App, once: bool) -> None:
    """Chạy daemon đọc bình luận và tin nhắn của mọi trang."""
    if not app.settings.pages:
        raise click.ClickException(
            "Chưa khai báo trang nào trong 'pages' của tệp cấu hình. Xem config/example.yaml."
        )
    daemon = build_daemon(app)
    if not once:
        daemon.run_forever()
        return
    results = daemon.run_jobs_once()
    for r in results:
        status = "OK " if r.ok else "LỖI"
        detail = f"{r.counts.inserted} mục mới, {r.counts.edited} sửa" if r.ok else r.reason
        click.echo(f"[{status}] {r.page_id} {r.name}: {detail}")
    sys.exit(0 if all(r.ok for r in results) else 1)


@click.command()
@pass_app
def pages(app: App) -> None:
    """Tình trạng từng trang: lần đọc thành công gần nhất, lỗi, số mục hôm nay, mức dùng."""
    from storage.health import page_health
    from storage.rate_pauses import pauses
    from storage.rejections import WINDOW, by_page

    sessions = app.sessions()
    start = datetime.now(VN).replace(hour=0, minute=0, second=0, microsecond=0)
    now = datetime.now(UTC)
    with sessions.begin() as session:
        rows = page_health(session, start.astimezone(UTC))
        paused = pauses(session, now)
        set_aside = by_page(session, now - WINDOW)
    for h in rows:
        state = "CÁCH LY" if h.quarantined else ("LỖI" if h.consecutive_failures else "OK")
        last = (
            h.last_success_at.astimezone(VN).strftime("%d/%m %H:%M")
            if h.last_success_at
            else "chưa"
        )
        usage = f"{h.usage_percent:.0f}%" if h.usage_percent is not None else "?"
        click.echo(
            f"{h.id} [{state}] {h.name} ({h.unit_id}) | đọc gần nhất: {last} | "
            f"hôm nay: {h.items_today} | mức dùng: {usage} | API {h.api_version or '?'}"
        )
        if h.last_error and h.consecutive_failures:
            click.echo(f"    lỗi: {h.last_error}")
        for line in pause_lines(paused, h.id, now):
            click.echo(f"    {line}")
        if h.id in set_aside:
            click.echo(f"    {set_aside_line(set_aside[h.id])}")
        if app.settings.webhooks.enabled:
            click.echo(f"    webhook: {subscription_line(h)}")
            click.echo(f"    sự kiện: {webhook_line(h.webhook_last_event_at, h.webhook_events)}")


def subscription_line(h: PageHealth) -> str:
    """The page's subscription as the daemon last read it (``/{page}/subscribed_apps``)."""
    if h.webhook_apps_read_at is None:
        return "chưa kiểm tra đăng ký (daemon đọc khi khởi động rồi mỗi giờ)"
    read = f"đọc lúc {h.webhook_apps_read_at.astimezone(VN):%d/%m %H:%M}"
    if h.webhook_apps is None:
        return f"chưa rõ: không đọc được đăng ký ({read}): {h.webhook_apps_error or '?'}"
    if not h.webhook_apps:
        return f"TẮT: trang chưa cài ứng dụng nào ({read}; đăng ký: pakn webhooks subscribe)"
    if not h.webhook_fields:
        return f"TẮT: ứng dụng đã cài nhưng không nhận trường nào ({read})"
    return f"BẬT, trường: {', '.join(h.webhook_fields)} ({read})"


def pause_lines(paused: list[Any], page_id: str, now: datetime) -> list[str]:
    """What Meta's throttles stop on this page now, and until when (local time)."""
    from storage.rate_pauses import describe, pauses_of_page

    return [
        "tạm dừng: " + describe(p, p.until.astimezone(VN).strftime("%H:%M %d/%m"))
        for p in pauses_of_page(paused, page_id, now)
    ]


def set_aside_line(s: PageSetAside) -> str:
    """Objects Facebook served broken in the last 24 hours: counts and the newest one's kind of
    reason, never the object's text (it may hold a name or a token)."""
    from storage.rejections import OUTCOME_NAMES, REASON_NAMES

    return (
        f"đối tượng lỗi trong 24 giờ: {s.not_stored} để riêng, {s.repaired} đã sửa rồi lưu; "
        f"gần nhất {s.latest_at.astimezone(VN):%d/%m %H:%M}: {REASON_NAMES[s.latest_reason]} "
        f"({OUTCOME_NAMES[s.latest_outcome]}, rejected_payloads #{s.latest_id}); "
        "không mất tin nào khác"
    )


def webhook_line(last_event_at: datetime | None, events: int) -> str:
    if last_event_at is None:
        return "chưa nhận sự kiện nào (kiểm tra bằng pakn doctor; đăng ký: pakn webhooks subscribe)"
    return f"sự kiện gần nhất {last_event_at.astimezone(VN):%d/%m %H:%M}, tổng {events}"
