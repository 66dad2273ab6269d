"""``pakn web``: the officers' web UI behind waitress."""

from __future__ import annotations

import errno
import logging

import click

from cli.main import App
from cli.services import ingest_policy
from cli.users import open_database

log = logging.getLogger("pakn.cli")


@click.command("web")
@click.option("--host", default=None, help="Địa chỉ lắng nghe (mặc định: web.host).")
@click.option("--port", type=int, default=None, help="Cổng (mặc định: web.port).")
@click.pass_obj
def web(app: App, host: str | None, port: int | None) -> None:
    """Chạy giao diện web cho cán bộ (waitress)."""
    import waitress

    from review.app import create_app

    settings = app.settings
    host, port = host or settings.web.host, port or settings.web.port
    sessions = open_database(app)
    with sessions.begin() as session:
        policy = ingest_policy(settings, session)
    flask_app = create_app(settings, sessions, policy=policy)
    try:
        server = waitress.create_server(flask_app, host=host, port=port, threads=8)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise click.ClickException(
                f"Cổng {port} đang được dùng; đổi web.port trong pakn.yaml hoặc dừng chương "
                "trình đang dùng cổng đó"
            ) from exc
        raise click.ClickException(f"Không mở được {host}:{port}: {exc.strerror}") from exc
    log.info("giao diện web đang chạy tại http://%s:%s", host, port)
    if not settings.web.secure_cookies and host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("web.secure_cookies đang tắt: chỉ mở ra mạng ngoài qua HTTPS (nginx).")
    server.run()
