"""``pakn web``: the officers' web UI behind waitress."""

from __future__ import annotations

import errno
import logging
import threading
import time
from collections.abc import Callable

import click

from cli.main import App
from cli.services import ingest_policy
from cli.users import open_database

log = logging.getLogger("pakn.cli")
QUEUE_LOG_EVERY = 60.0  # seconds


class QueueDepthSummary(logging.Filter):
    """waitress warns "Task queue depth is N" for every request that waits for a thread (23,124
    lines in one load test): let one through a minute, saying how deep the queue got."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.clock, self.lock = clock, threading.Lock()
        self.last_shown: float | None = None
        self.deepest, self.waits = 0, 0

    def filter(self, record: logging.LogRecord) -> bool:
        found = record.args[0] if isinstance(record.args, tuple) and record.args else 0
        depth = found if isinstance(found, int) else 0
        with self.lock:
            self.deepest, self.waits = max(self.deepest, depth), self.waits + 1
            now = self.clock()
            if self.last_shown is not None and now - self.last_shown < QUEUE_LOG_EVERY:
                return False
            record.msg = (
                "%d yêu cầu đang chờ luồng xử lý (sâu nhất %d, %d lần phải chờ kể từ lần báo "
                "trước). Nếu thường xuyên, tăng web.threads (CPU còn dư) hoặc thêm tiến trình web."
            )
            record.args = (depth, self.deepest, self.waits)
            self.last_shown, self.deepest, self.waits = now, 0, 0
            return True


def summarise_queue_warnings() -> None:
    queue_log = logging.getLogger("waitress.queue")
    if not any(isinstance(f, QueueDepthSummary) for f in queue_log.filters):
        queue_log.addFilter(QueueDepthSummary())


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
        server = waitress.create_server(
            flask_app, host=host, port=port, threads=settings.web.threads
        )
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise click.ClickException(
                f"Cổng {port} đang được dùng; đổi web.port trong pakn.yaml hoặc dừng chương "
                "trình đang dùng cổng đó"
            ) from exc
        raise click.ClickException(f"Không mở được {host}:{port}: {exc.strerror}") from exc
    summarise_queue_warnings()
    log.info(
        "giao diện web đang chạy tại http://%s:%s (%d luồng)", host, port, settings.web.threads
    )
    if not settings.web.secure_cookies and host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("web.secure_cookies đang tắt: chỉ mở ra mạng ngoài qua HTTPS (nginx).")
    server.run()
