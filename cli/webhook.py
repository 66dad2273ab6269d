"""``pakn webhook`` (the receiver of Meta's webhooks) and ``pakn webhooks subscribe|status``."""

from __future__ import annotations

import errno
import logging

import click

from cli.main import App, pass_app

log = logging.getLogger("pakn.cli")
# What pakn reads from webhooks: comments and visitor posts, messages, echoes of the page's own
# answers, edits, and citizens' posts that mention the page.
SUBSCRIBED_FIELDS = ("feed", "messages", "message_echoes", "message_edits", "mention")


def _require_enabled(app: App) -> None:
    if not app.settings.webhooks.enabled:
        raise click.ClickException(
            "webhooks.enabled đang tắt trong pakn.yaml. Bật nó, đặt webhooks.verify_token và "
            "graph.app_secret (xem README, mục Real-time intake)."
        )


@click.command("webhook")
@click.option("--host", default=None, help="Địa chỉ lắng nghe (mặc định: webhooks.host).")
@click.option("--port", type=int, default=None, help="Cổng (mặc định: webhooks.port).")
@pass_app
def webhook_command(app: App, host: str | None, port: int | None) -> None:
    """Nhận webhook của Meta (đặt sau nginx có HTTPS), lưu lại cho daemon xử lý."""
    import waitress

    from monitor.webhook_receiver import PATH, Receiver

    _require_enabled(app)
    settings = app.settings
    conf = settings.webhooks
    secret, verify = settings.graph.app_secret, conf.verify_token  # both checked by the loader
    receiver = Receiver(
        app.sessions(migrate=True),
        app_secret=secret.reveal() if secret else "",
        verify_token=verify.reveal() if verify else "",
        max_body_bytes=conf.max_body_bytes,
    )
    host, port = host or conf.host, port or conf.port
    try:
        server = waitress.create_server(receiver, host=host, port=port, threads=4)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise click.ClickException(
                f"Cổng {port} đang được dùng; đổi webhooks.port hoặc dừng chương trình đang dùng."
            ) from exc
        raise click.ClickException(f"Không mở được {host}:{port}: {exc.strerror}") from exc
    log.info("đang nhận webhook tại http://%s:%s%s", host, port, PATH)
    server.run()


@click.group("webhooks")
def webhooks_group() -> None:
    """Đăng ký và xem tình trạng webhook của các trang."""


@webhooks_group.command("subscribe")
@pass_app
def webhooks_subscribe(app: App) -> None:
    """Đăng ký ứng dụng nhận webhook cho mọi trang đã cấu hình (bình luận, tin nhắn)."""
    from monitor.errors import GraphError
    from monitor.graph import GraphClient

    _require_enabled(app)
    client = GraphClient(app.settings.graph)
    failed = 0
    for page in app.settings.pages:
        try:
            client.post(
                f"{page.id}/subscribed_apps",
                page.access_token.reveal(),
                data={"subscribed_fields": ",".join(SUBSCRIBED_FIELDS)},
            )
        except GraphError as err:
            failed += 1
            click.echo(f"[LỖI] {page.id} {page.name}: {err.reason_vi()}")
            continue
        click.echo(f"[OK ] {page.id} {page.name}: đã đăng ký {', '.join(SUBSCRIBED_FIELDS)}")
    if failed:
        raise click.ClickException(
            f"{failed} trang chưa đăng ký được; kiểm tra quyền pages_manage_metadata và "
            "pages_messaging của mã truy cập, rồi chạy lại lệnh (đăng ký lại không gây hại)."
        )
