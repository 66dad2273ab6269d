"""A page token that Graph echoes in an error message never leaves the daemon.

Meta quotes a malformed token in its error ("Malformed access token EAAB..."). The simulator
is switched, for this test only, to quote the token of every refused request; then the token
must be found nowhere: not in the log, ``pakn pages``, ``/admin/pages``, the item page an
officer sees for a failed reply, nor the notification outbox.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import monitor.errors
from cli.main import App, main
from cli.services import ingest_policy
from config.schema import Secret
from config.settings import AlertSettings, NotificationTarget, Settings, WebSettings
from monitor.alerts import AlertDetector
from monitor.daemon import Daemon
from monitor.errors import redact, register_secrets
from monitor.replies import ReplySender
from review.app import create_app
from simulator import GraphSimulator, World
from simulator.errors import GraphError as SimulatedError
from storage import replies
from storage.tables import Item, Notification
from storage.users import Passwords, create_user
from tests.clock import Clock
from tests.monitor.harness import stub_classify
from tests.review.personas import Visitor

PAGE_ID, PAGE_NAME, UNIT = "100000000000001", "Xã Cẩm Giàng", "cam-giang"
META_SHAPED = "EAAB" + "sbCS1iHgBAOZCZB9ZAvZCn2sLZAxDbqcQ2ZCrZBvZAB5qZAYtZBeZAQ7dHk0xZBm" * 3
PLAIN = "tok-cam-giang-khong-theo-mau-meta-42"  # only the registered settings can mask it
PASSWORD = "một mật khẩu dài"
CONFIG = """
database_url: "{db_url}"
data_dir: "{data_dir}"
poll_interval_seconds: 5
graph: {{base_url: "{base_url}", max_retries: 1, backoff_base_seconds: 0.001,
        backoff_max_seconds: 0.002, timeout_seconds: 5}}
web: {{public_url: "https://pakn.example.vn"}}
units: [{{id: {unit}, name: "{page_name}"}}]
pages:
  - {{id: "{page_id}", name: "{page_name}", unit: {unit}, access_token: "${{PAGE_TOKEN}}",
     messenger: false}}
alerts:
  failures_before_alert: 1
  admin_targets:
    - {{url: "json://127.0.0.1:9/admin", events: [page_down, reply_failed]}}
"""


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Secrets registered by one test must not leak into another's redaction."""
    monkeypatch.setattr(monitor.errors, "_registered", ())


@pytest.fixture
def world(clock: Clock) -> World:
    world = World(clock=clock, seed=7)
    # The daemon paces conversation calls in real time; the simulator counts them per second
    # of this clock, which stands still here.
    world.set_conversation_rate(None)
    return world


@pytest.fixture
def echoing(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[GraphSimulator]:
    """The simulator, switched to quote the token in every token error, as Meta does."""
    with GraphSimulator(world) as sim:
        genuine = sim.router.authenticate

        def authenticate(params: dict[str, str], header_token: str | None) -> str:
            try:
                return genuine(params, header_token)
            except SimulatedError as refused:
                if refused.code != 190:
                    raise
                token = params.get("access_token") or header_token
                raise SimulatedError(f"Malformed access token {token}", 190) from None

        monkeypatch.setattr(sim.router, "authenticate", authenticate)
        yield sim


def settings_via_cli(path: Path, token: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """What ``pakn`` reads, through the command's own App (which registers the secrets)."""
    monkeypatch.setenv("PAGE_TOKEN", token)
    return App(str(path)).settings


def everything_shown(
    sessions: sessionmaker[Session],
    settings: Settings,
    config: Path,
    caplog: pytest.LogCaptureFixture,
) -> dict[str, str]:
    """Every place an error text reaches, as text."""
    with sessions.begin() as session:
        item = session.scalars(select(Item).where(Item.by_page.is_(False))).first()
        assert item is not None
        item_id = item.id
        create_user(
            session,
            username="can.bo",
            display_name="Cán bộ",
            password=PASSWORD,
            role="officer",
            unit_ids=[UNIT],
            now=item.created_time,
        )
        create_user(
            session,
            username="quan.tri",
            display_name="Quản trị",
            password=PASSWORD,
            role="admin",
            unit_ids=[],
            now=item.created_time,
        )
        outbox = session.scalars(select(Notification)).all()
        notifications = "\n".join(
            f"{n.event}: {n.subject}\n{n.body}\n{n.last_error}" for n in outbox
        )
        policy = ingest_policy(settings, session, classify=stub_classify)
    web = create_app(settings, sessions, policy=policy, testing=True)
    officer, admin = Visitor(web), Visitor(web)
    assert officer.login("can.bo", PASSWORD).status_code == 302
    assert admin.login("quan.tri", PASSWORD).status_code == 302
    log = caplog.text  # before the command, which sets up logging of its own
    pages = CliRunner().invoke(main, ["--config", str(config), "pages"], catch_exceptions=False)
    return {
        "log": log,
        "pakn pages": pages.output,
        "/admin/pages": admin.text("/admin/pages"),
        "item page": officer.text(f"/items/{item_id}"),
        "outbox": notifications,
    }


@pytest.mark.parametrize("token", [META_SHAPED, PLAIN], ids=["meta-shaped", "plain"])
def test_a_token_echoed_in_a_graph_error_is_found_nowhere(
    token: str,
    world: World,
    echoing: GraphSimulator,
    sqlite_url: str,
    sqlite_sessions: sessionmaker[Session],
    clock: Clock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(Passwords, "hasher", PasswordHasher(time_cost=1, memory_cost=64))
    world.add_page(PAGE_ID, PAGE_NAME, token)
    post = world.add_post(PAGE_ID, message="Lịch tiếp công dân")
    world.add_comment(post, author=("8001", "Lê Thị Thu"), message="Đèn đường ngõ 3 hỏng")
    config = tmp_path / "pakn.yaml"
    config.write_text(
        CONFIG.format(
            db_url=sqlite_url,
            data_dir=tmp_path,
            base_url=echoing.base_url,
            unit=UNIT,
            page_id=PAGE_ID,
            page_name=PAGE_NAME,
        ),
        encoding="utf-8",
    )
    settings = settings_via_cli(config, token, monkeypatch)
    with sqlite_sessions.begin() as session:
        policy = ingest_policy(settings, session, classify=stub_classify)
    daemon = Daemon(settings, sqlite_sessions, policy, clock=clock)
    daemon.sync()
    assert daemon.run_once() == 0  # the token works: the comment is read
    with sqlite_sessions.begin() as session:
        item = session.scalars(select(Item).where(Item.by_page.is_(False))).one()
        replies.create_reply(session, item, "public_comment", "Xã đã tiếp nhận", None, clock())

    world.revoke_token(PAGE_ID)  # from now on Graph refuses it, quoting it
    ReplySender(settings, sqlite_sessions, daemon.client, clock, "test").send_due()
    clock.advance(minutes=1)
    assert daemon.run_once() == 1
    AlertDetector(settings, sqlite_sessions, clock).run()

    shown = everything_shown(sqlite_sessions, settings, config, caplog)
    for surface, text in shown.items():
        assert token not in text, surface
        assert token[:24] not in text, surface
    # The echo did happen and reached every surface, masked.
    assert "Malformed access token ***" in shown["log"]
    # The officer reads the failure in plain Vietnamese with Facebook's error number; Meta's
    # English text (the echoed token with it) stays in the log, masked.
    assert "Mã lỗi Facebook: 190" in shown["item page"]
    assert "Malformed access token ***" in shown["/admin/pages"]
    assert "Malformed access token ***" in shown["pakn pages"]
    assert shown["outbox"].count("Malformed access token ***") == 1  # the page-down alert
    assert "Mã lỗi Facebook: 190" in shown["outbox"]  # the reply-failed alert, in Vietnamese


def test_redact_masks_meta_tokens_and_every_registered_secret() -> None:
    settings = Settings(
        database_url="postgresql://pakn:mat-khau-csdl@db.example/pakn",
        web=WebSettings(secret_key=Secret("khoa-bi-mat-cua-web-rat-dai")),
        alerts=AlertSettings(
            admin_targets=[NotificationTarget(url=Secret("tgram://123456:bot-token-abc/987"))]
        ),
    )
    register_secrets(settings)
    text = (
        f"Malformed access token {META_SHAPED} | khoa-bi-mat-cua-web-rat-dai | mat-khau-csdl | "
        "tgram://123456:bot-token-abc/987 | ?access_token=abc&x=1 | Bearer abc.def"
    )
    cleaned = redact(text)
    for secret in (META_SHAPED, "khoa-bi-mat", "mat-khau-csdl", "bot-token-abc", "abc.def"):
        assert secret not in cleaned
    assert cleaned.startswith("Malformed access token ***")
    assert redact("Lỗi mạng: không kết nối được") == "Lỗi mạng: không kết nối được"
