"""``pakn demo``: the whole service on the embedded default, fed by the Graph simulator.

Three fanpages modelled on the announcements (xã Cẩm Giàng with two, phường Ái Quốc with one),
a realistic flow of Vietnamese citizen comments and messages arriving over time (urgent items
and denunciations included), the polling daemon, and the officers' web UI with demo accounts.
Webhooks are on, as in production: the pages are subscribed through the (simulated) Graph API,
the world sends Meta's signed deliveries to pakn's receiver running in-process, which stores
them for the daemon; polling stays the safety net.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from cli.services import LazyClassifier, ingest_policy
from config.settings import Settings, load
from monitor.daemon import Daemon
from monitor.jobs import register_jobs
from monitor.webhook_receiver import PATH, Receiver
from review.app import create_app
from simulator import GraphSimulator, World
from simulator.diagnostics import Diagnostics
from simulator.traffic import Traffic, seed_world
from simulator.webhooks import WebhookSender, verify_callback
from storage.db import make_engine, session_factory, upgrade
from storage.users import create_user, ensure_units, find_user

log = logging.getLogger("pakn.monitor")

DEMO_PAGES = (
    ("100000000000001", "Xã Cẩm Giàng – TP Hải Phòng", "cam-giang"),
    ("100000000000002", "Đoàn Thanh niên xã Cẩm Giàng", "cam-giang"),
    ("100000000000003", "Phường Ái Quốc – TP Hải Phòng", "ai-quoc"),
)
DEMO_UNITS = (
    ("cam-giang", "UBND xã Cẩm Giàng", "xa"),
    ("ai-quoc", "UBND phường Ái Quốc", "phuong"),
)
# Shown at the start so that a first look already has work of every kind in the queue.
OPENING_EVENTS = (
    (
        "100000000000001",
        "Dây điện đứt rơi xuống đường ngõ 12 thôn Lương Xá, đang tóe lửa, "
        "mọi người tránh xa, ad báo điện lực gấp với!!",
    ),
    (
        "100000000000003",
        "Cán bộ một cửa phường đòi 500k 'phí làm nhanh' mới nhận hồ sơ "
        "đăng ký hộ kinh doanh của tôi, tôi có ghi âm, đề nghị lãnh đạo xử lý.",
    ),
    (
        "100000000000001",
        "mẹ e vừa bị gọi giả công an bảo cài app, tài khoản đang bị trừ tiền "
        "liên tục, cứu với ad ơi",
    ),
    ("100000000000002", "cho e hỏi kích hoạt định danh mức 2 thì ra xã hay công an ạ"),
)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    units: tuple[str, ...]
    name: str


def demo_accounts() -> list[DemoAccount]:
    return [
        DemoAccount("canbo.camgiang", "camgiang-2026", "officer", ("cam-giang",), "Nguyễn Thu Hà"),
        DemoAccount(
            "lanhdao.camgiang", "camgiang-lanhdao", "leader", ("cam-giang",), "Phạm Văn Đức"
        ),
        DemoAccount("canbo.aiquoc", "aiquoc-2026", "officer", ("ai-quoc",), "Trần Minh Anh"),
        DemoAccount("lanhdao.aiquoc", "aiquoc-lanhdao", "leader", ("ai-quoc",), "Lê Thị Hồng"),
        DemoAccount(
            "quantri", "quantri-2026", "admin", ("cam-giang", "ai-quoc"), "Quản trị hệ thống"
        ),
    ]


def demo_world(seed: int, tokens: dict[str, str], app_secret: str | None = None) -> World:
    """The demo's pages with a few days of history; with `app_secret`, Graph calls need
    appsecret_proof and webhooks are signed with it."""
    world = World(seed=seed, app_secret=app_secret)
    rng = random.Random(seed)  # noqa: S311 - demo traffic, not security
    pages = [(pid, name, tokens[pid]) for pid, name, _unit in DEMO_PAGES]
    for pid, name, token in pages:
        world.add_page(pid, name, token)
    seed_world(world, pages, rng, posts_per_page=4, days=4)
    return world


@dataclass(frozen=True)
class DemoWebhooks:
    """What the demo's configuration says about webhooks: the secrets and the receiver's port."""

    app_secret: str
    verify_token: str
    port: int


def write_config(
    directory: Path,
    base_url: str,
    port: int,
    tokens: dict[str, str],
    inbox_url: str,
    webhooks: DemoWebhooks,
    poll_seconds: int = 5,
) -> Path:
    units = "\n".join(f'  - {{id: {u}, name: "{n}", kind: {k}}}' for u, n, k in DEMO_UNITS)
    pages = "\n".join(
        f'  - {{id: "{pid}", name: "{name}", unit: {unit}, access_token: "{tokens[pid]}"}}'
        for pid, name, unit in DEMO_PAGES
    )
    text = f"""# Written by `pakn demo`: a real configuration pointing at the local Graph simulator.
database_url: "sqlite:///{directory / "pakn.db"}"
data_dir: "{directory}"
poll_interval_seconds: {poll_seconds}
graph:
  base_url: "{base_url}"
  app_secret: "{webhooks.app_secret}"
  max_retries: 2
  backoff_base_seconds: 0.2
webhooks:
  enabled: true
  verify_token: "{webhooks.verify_token}"
  host: 127.0.0.1
  port: {webhooks.port}
poll:
  overlap_minutes: 5
  sweep_interval_minutes: 10
units:
{units}
pages:
{pages}
web:
  host: 127.0.0.1
  port: {port}
  public_url: "http://127.0.0.1:{port}"
  secret_key: "{secrets.token_hex(32)}"
  # A comment the demo simulates reaches the queue through the webhook within a couple of
  # seconds: open pages ask every 2 seconds, so that one sees it arrive (production: 10).
  live_poll_seconds: 2
alerts:
  admin_targets:
    - {{name: "Quản trị (màn hình demo)", url: "{inbox_url}", events: [page_down, reply_failed]}}
  unit_targets:
    cam-giang:
      - {{name: "Cán bộ trực Cẩm Giàng", url: "{inbox_url}", events: [urgent, digest]}}
    ai-quoc:
      - {{name: "Cán bộ trực Ái Quốc", url: "{inbox_url}", events: [urgent, digest]}}
"""
    path = directory / "pakn.yaml"
    path.write_text(text, encoding="utf-8")
    return path


class DemoInbox:
    """A local webhook receiver: the demo's notifications are printed in the terminal."""

    def __init__(self, echo: Callable[[str], None]) -> None:
        echo_ = echo

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    body = {}
                title = str(body.get("title") or "").strip()
                message = str(body.get("message") or body.get("body") or "").strip()
                echo_(f"\n🔔 {title}\n{message}\n")
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"json://127.0.0.1:{self.server.server_address[1]}/notify"

    def run(self) -> None:
        self.server.serve_forever(poll_interval=0.5)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class TrafficLoop:
    """Adds citizen activity to the simulated pages until stopped."""

    def __init__(
        self, world: World, seed: int, every_seconds: float, stop: threading.Event
    ) -> None:
        self.world = world
        self.traffic = Traffic(world, random.Random(seed + 1))  # noqa: S311
        self.every = every_seconds
        self.stop = stop
        self.events = 0

    def opening(self) -> None:
        for n, (page_id, text) in enumerate(OPENING_EVENTS):
            author = (
                f"9{n:08d}",
                ("Vũ Thị Mai", "Hoàng Văn Nam", "Đỗ Thị Hoa", "Bùi Quang Huy")[n],
            )
            if n % 2:
                self.world.add_message(page_id, user=author, message=text)
            else:
                post = self.world.add_post(
                    page_id, message="Đường dây nóng tiếp nhận phản ánh của người dân"
                )
                self.world.add_comment(post, author=author, message=text)

    def run(self) -> None:
        while not self.stop.wait(self.every):
            try:
                self.traffic.step()
                self.events += 1
            except Exception:
                log.exception("lỗi khi sinh dữ liệu mô phỏng")


def create_accounts(sessions: sessionmaker[Session], now: datetime) -> list[DemoAccount]:
    accounts = demo_accounts()
    with sessions.begin() as session:
        ensure_units(session, list(DEMO_UNITS))
        for acc in accounts:
            if find_user(session, acc.username) is not None:
                continue
            create_user(
                session,
                username=acc.username,
                display_name=acc.name,
                password=acc.password,
                role=acc.role,
                unit_ids=list(acc.units),
                now=now,
            )
    return accounts


class Demo:
    """Everything `pakn demo` runs, started in order and stopped in reverse."""

    def __init__(
        self,
        directory: Path | None,
        port: int,
        seed: int,
        every_seconds: float,
        poll_seconds: int = 5,
    ) -> None:
        """``poll_seconds``: the daemon's cycle (tests lengthen it to see webhooks at work)."""
        self.directory = _prepare(directory)
        self.port, self.seed, self.every = port, seed, every_seconds
        self.poll_seconds = poll_seconds
        self.world: World | None = None
        self.daemon: Daemon | None = None
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []
        self.sim: GraphSimulator | None = None
        self.web: Any = None
        self.inbox: DemoInbox | None = None
        self.receiver: Any = None
        self.sender: WebhookSender | None = None

    def start(self, echo: Callable[[str], None]) -> list[DemoAccount]:
        _check_port_free(self.port)
        tokens = {pid: f"demo-{secrets.token_hex(8)}" for pid, _n, _u in DEMO_PAGES}
        hooks = DemoWebhooks(secrets.token_hex(16), secrets.token_urlsafe(16), _free_port())
        world = self.world = demo_world(self.seed, tokens, hooks.app_secret)
        self.sim = GraphSimulator(world).start()
        self.inbox = DemoInbox(echo)
        config = write_config(
            self.directory,
            self.sim.base_url,
            self.port,
            tokens,
            self.inbox.url,
            hooks,
            self.poll_seconds,
        )
        settings = load(config, env={})
        engine = make_engine(settings.database_url)
        upgrade(engine)
        sessions = session_factory(engine)
        echo("Đang chuẩn bị bộ phân loại (lần đầu có thể mất khoảng một phút)…")
        classify = LazyClassifier(settings)
        classify.load()
        accounts = create_accounts(sessions, datetime.now(UTC))
        with sessions.begin() as session:
            policy = ingest_policy(settings, session, classify=classify)
        daemon = self.daemon = Daemon(settings, sessions, policy, stop=self.stop)
        daemon.sync()
        register_jobs(daemon)
        self._start_webhooks(settings, sessions, world, self.sim.router.diagnostics)
        traffic = TrafficLoop(world, self.seed, self.every, self.stop)
        traffic.opening()
        self.web = make_web_server(create_app(settings, sessions, policy=policy), settings)
        self.threads += [
            _thread(daemon.run_forever, "pakn-daemon"),
            _thread(traffic.run, "pakn-traffic"),
            _thread(self.web.run, "pakn-web"),
            _thread(self.inbox.run, "pakn-demo-inbox"),
        ]
        return accounts

    def _start_webhooks(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        world: World,
        diagnostics: Diagnostics,
    ) -> None:
        """pakn's receiver on its own port, the pages subscribed through the Graph API as
        `pakn webhooks subscribe` does, and the world sending its changes there at once."""
        from cli.webhook import SUBSCRIBED_FIELDS
        from monitor.graph import GraphClient

        conf = settings.webhooks
        # Both written by write_config; load() refuses enabled webhooks without them.
        secret = settings.graph.app_secret.reveal() if settings.graph.app_secret else ""
        verify = conf.verify_token.reveal() if conf.verify_token else ""
        receiver = Receiver(sessions, app_secret=secret, verify_token=verify)
        try:
            self.receiver = make_receiver_server(receiver, conf.host, conf.port)
        except OSError as exc:
            raise DemoError(
                f"Không mở được cổng {conf.port} cho bộ nhận webhook ({exc.strerror}). "
                "Chạy lại lệnh: cổng được chọn ngẫu nhiên mỗi lần."
            ) from exc
        self.threads.append(_thread(self.receiver.run, "pakn-webhook"))
        url = f"http://{conf.host}:{conf.port}{PATH}"
        if not verify_callback(url, verify):
            raise DemoError(
                f"Bộ nhận webhook tại {url} không trả lời yêu cầu xác minh. Chạy lại lệnh; nếu "
                f"vẫn lỗi, kiểm tra cổng {conf.port} có bị tường lửa chặn không."
            )
        client = GraphClient(settings.graph)
        for page in settings.pages:
            fields = {"subscribed_fields": ",".join(SUBSCRIBED_FIELDS)}
            client.post(f"{page.id}/subscribed_apps", page.access_token.reveal(), data=fields)
        self.sender = WebhookSender(world, url, diagnostics).start()

    def close(self) -> None:
        self.stop.set()
        if self.sender is not None:
            self.sender.close()
        if self.receiver is not None:
            self.receiver.close()
        if self.web is not None:
            self.web.close()
        for thread in self.threads:
            thread.join(timeout=30)
        if self.sim is not None:
            self.sim.stop()
        if self.inbox is not None:
            self.inbox.close()


def make_web_server(app: Any, settings: Settings) -> Any:
    from waitress.server import create_server

    return create_server(app, host=settings.web.host, port=settings.web.port, threads=8)


def make_receiver_server(receiver: Receiver, host: str, port: int) -> Any:
    from waitress.server import create_server

    return create_server(receiver, host=host, port=port, threads=2)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise DemoError(
                f"Cổng {port} đang được dùng. Chạy lại với --port KHÁC (ví dụ --port 8090) "
                "hoặc dừng chương trình đang dùng cổng đó."
            ) from None


class DemoError(RuntimeError):
    """A reason the demo cannot start, phrased for the person who typed the command."""


def _thread(target: Callable[[], object], name: str) -> threading.Thread:
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread


def _prepare(directory: Path | None) -> Path:
    if directory is None:
        return Path(tempfile.mkdtemp(prefix="pakn-demo-"))
    directory.mkdir(parents=True, exist_ok=True)
    return directory.resolve()


def wait(stop: threading.Event, duration: float | None) -> None:
    """Block until Ctrl-C, the end of ``duration``, or a stop request."""
    deadline = None if duration is None else time.monotonic() + duration
    try:
        while not stop.is_set():
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return
            stop.wait(timeout=1.0 if left is None else min(1.0, left))
    except KeyboardInterrupt:
        return
