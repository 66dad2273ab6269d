"""Alerts end to end: detection in the daemon, the outbox, Apprise to local SMTP and webhooks."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from cli.services import ingest_policy
from config.schema import Secret
from config.settings import (
    AlertSettings,
    GraphSettings,
    NotificationTarget,
    PageSettings,
    Settings,
    UnitSettings,
    WebSettings,
)
from monitor.alerts import AlertDetector
from monitor.daemon import Daemon
from monitor.jobs import register_jobs
from monitor.notifier import NotificationSender, SendResult
from simulator import GraphSimulator, World
from storage.notifications import MAX_ATTEMPTS
from storage.poll_state import sync_pages
from storage.tables import Item, Notification, Page, Reply
from tests.monitor.alert_receivers import LocalSMTP, Webhook, closed_port

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PUBLIC_URL = "https://pakn.example.vn"
UNIT = "cam-giang"
PAGE_ID, PAGE_NAME, TOKEN = "100000000000001", "Xã Cẩm Giàng", "tok-camgiang"
SUNDAY_NIGHT = datetime(2026, 3, 1, 22, 0, tzinfo=VN)
MONDAY_MORNING = datetime(2026, 3, 2, 7, 45, tzinfo=VN)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class StubPrediction:
    category: str
    urgent: bool
    field: str = "ha_tang_moi_truong"
    confidence: float = 0.9
    model_version: str = "stub"


def stub_classify(texts: Sequence[str]) -> list[StubPrediction]:
    return [StubPrediction("phan_anh", urgent="cháy" in t.lower()) for t in texts]


def target(url: str, *events: str, name: str = "") -> NotificationTarget:
    return NotificationTarget(url=Secret(url), events=list(events), name=name or url[:12])


def make_settings(
    *,
    unit_targets: Sequence[NotificationTarget] = (),
    admin_targets: Sequence[NotificationTarget] = (),
    base_url: str = "http://127.0.0.1:9",
    token: str = TOKEN,
) -> Settings:
    return Settings(
        units=[UnitSettings(UNIT, "UBND xã Cẩm Giàng")],
        pages=[PageSettings(PAGE_ID, PAGE_NAME, UNIT, Secret(token))],
        graph=GraphSettings(
            base_url=base_url,
            max_retries=1,
            backoff_base_seconds=0.001,
            backoff_max_seconds=0.002,
            timeout_seconds=5,
        ),
        web=WebSettings(public_url=PUBLIC_URL),
        alerts=AlertSettings(
            admin_targets=list(admin_targets), unit_targets={UNIT: list(unit_targets)}
        ),
    )


def setup_unit(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        sync_pages(s, [(UNIT, "UBND xã Cẩm Giàng", "xa")], [(PAGE_ID, PAGE_NAME, UNIT)])


def add_item(sessions: sessionmaker[Session], n: int, created: datetime, **fields: object) -> int:
    values: dict[str, object] = {
        "source": "facebook_comment",
        "external_id": f"c_{n}",
        "unit_id": UNIT,
        "page_id": PAGE_ID,
        "author_id": f"{n:05d}",
        "author_name": "Nguyễn Văn An",
        "text": f"Phản ánh số {n}",
        "content_hash": f"h{n}",
        "created_time": created,
        "first_seen_at": created,
        "last_seen_at": created,
        "category": "phan_anh",
        "field": "khcn_cds",
        "status": "new",
    }
    values.update(fields)
    with sessions.begin() as s:
        item = Item(**values)
        s.add(item)
        s.flush()
        return item.id


def rows(sessions: sessionmaker[Session], event: str | None = None) -> list[Notification]:
    query = select(Notification).order_by(Notification.id)
    if event is not None:
        query = query.where(Notification.event == event)
    with sessions.begin() as s:
        return list(s.scalars(query))


def make_daemon(settings: Settings, sessions: sessionmaker[Session], clock: Clock) -> Daemon:
    with sessions.begin() as s:
        policy = ingest_policy(settings, s, classify=stub_classify)
    daemon = Daemon(settings, sessions, policy, clock=clock)
    daemon.sync()
    register_jobs(daemon)
    return daemon


@pytest.fixture
def smtp() -> Iterator[LocalSMTP]:
    with LocalSMTP() as server:
        yield server


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    with Webhook() as server:
        yield server


@pytest.fixture
def night() -> Clock:
    return Clock(SUNDAY_NIGHT)


@pytest.fixture
def world(night: Clock) -> World:
    w = World(clock=night, seed=11)
    # The daemon paces conversation calls in real time; the simulator counts them per second
    # of this clock, which stands still here.
    w.set_conversation_rate(None)
    w.add_page(PAGE_ID, PAGE_NAME, TOKEN)
    return w


@pytest.fixture
def graph(world: World) -> Iterator[GraphSimulator]:
    with GraphSimulator(world) as sim:
        yield sim


def test_an_urgent_item_ingested_on_a_sunday_night_reaches_each_recipient_exactly_once(
    sqlite_sessions: sessionmaker[Session],
    graph: GraphSimulator,
    world: World,
    night: Clock,
    smtp: LocalSMTP,
    webhook: Webhook,
) -> None:
    settings = make_settings(
        base_url=graph.base_url,
        unit_targets=[
            target(smtp.url("truc-ban@example.vn"), "urgent", name="Cán bộ trực"),
            target(webhook.url("/lanh-dao"), "urgent", "digest", name="Lãnh đạo"),
            target(webhook.url("/van-phong"), "digest", name="Văn phòng"),
        ],
        admin_targets=[target(webhook.url("/admin"), "page_down", name="Quản trị")],
    )
    post = world.add_post(PAGE_ID, "Thông báo lịch tiếp dân")
    world.add_comment(post, ("9001", "Lê Văn Cường"), "Cháy dây điện ngõ 5, gọi 0912 345 678 ngay!")
    daemon = make_daemon(settings, sqlite_sessions, night)

    assert daemon.run_once() == 0
    daemon.run_jobs_once()

    with sqlite_sessions.begin() as s:
        item = s.scalars(select(Item).where(Item.urgent.is_(True))).one()
    assert len(smtp.messages) == 1
    assert smtp.inbox.recipients == [["truc-ban@example.vn"]]
    mail = smtp.messages[0]
    assert "KHẨN" in str(mail["Subject"])
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert f"{PUBLIC_URL}/items/{item.id}" in text
    assert "0912 345 678" not in text and "Cháy dây điện" in text
    assert len(webhook.bodies("/lanh-dao")) == 1
    assert f"{PUBLIC_URL}/items/{item.id}" in webhook.bodies("/lanh-dao")[0]["message"]
    assert webhook.bodies("/van-phong") == [] and webhook.bodies("/admin") == []
    assert [r.status for r in rows(sqlite_sessions)] == ["sent", "sent"]


def test_a_revoked_page_token_gives_one_admin_alert_then_one_recovered_message(
    sqlite_sessions: sessionmaker[Session],
    graph: GraphSimulator,
    world: World,
    night: Clock,
    webhook: Webhook,
) -> None:
    admin = target(webhook.url("/admin"), "page_down", "reply_failed", name="Quản trị")
    settings = make_settings(base_url=graph.base_url, admin_targets=[admin])
    world.revoke_token(PAGE_ID)
    daemon = make_daemon(settings, sqlite_sessions, night)

    for _ in range(4):
        daemon.run_jobs_once()
        night.now += timedelta(minutes=1)

    assert len(webhook.bodies("/admin")) == 1
    alert = webhook.bodies("/admin")[0]
    assert PAGE_NAME in alert["title"] and "mã truy cập" in alert["message"]
    assert TOKEN not in alert["message"]

    world.set_token(PAGE_ID, "tok-camgiang-new")
    fixed = make_daemon(
        make_settings(base_url=graph.base_url, admin_targets=[admin], token="tok-camgiang-new"),
        sqlite_sessions,
        night,
    )
    fixed.run_jobs_once()
    fixed.run_jobs_once()

    assert len(webhook.bodies("/admin")) == 2
    assert "đã đọc lại được" in webhook.bodies("/admin")[1]["title"]
    assert [r.event for r in rows(sqlite_sessions)] == ["page_down", "page_recovered"]


def test_a_closed_port_records_failed_with_the_reason_and_polling_goes_on(
    sqlite_sessions: sessionmaker[Session],
    graph: GraphSimulator,
    world: World,
    night: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret_path = "hook-7f3a9c2e5d1b"
    dead = f"json://127.0.0.1:{closed_port()}/{secret_path}"
    settings = make_settings(base_url=graph.base_url, unit_targets=[target(dead, "urgent")])
    post = world.add_post(PAGE_ID, "Thông báo")
    world.add_comment(post, ("9001", "Lê Văn Cường"), "Cháy lớn ở chợ xã")
    daemon = make_daemon(settings, sqlite_sessions, night)

    with caplog.at_level(logging.DEBUG):
        assert daemon.run_once() == 0

    [row] = rows(sqlite_sessions)
    assert row.status == "failed" and row.attempts == 1
    assert row.last_error is not None and "Connection refused" in row.last_error
    assert row.next_attempt_at is not None and row.next_attempt_at > night.now
    assert secret_path not in row.last_error
    assert secret_path not in caplog.text
    with sqlite_sessions.begin() as s:
        assert s.get(Page, PAGE_ID).last_success_at == night.now  # type: ignore[union-attr]


def test_a_failing_channel_is_retried_later_and_given_up_after_the_last_attempt(
    sqlite_sessions: sessionmaker[Session],
) -> None:
    setup_unit(sqlite_sessions)
    clock = Clock(SUNDAY_NIGHT)
    dead = f"json://127.0.0.1:{closed_port()}/x"
    settings = make_settings(unit_targets=[target(dead, "urgent")])
    add_item(sqlite_sessions, 1, clock.now, urgent=True)
    AlertDetector(settings, sqlite_sessions, clock).run()
    sender = NotificationSender(settings.alerts, sqlite_sessions, clock)

    delays = []
    for _ in range(MAX_ATTEMPTS + 2):
        sender.send_due()
        [row] = rows(sqlite_sessions)
        if row.next_attempt_at is None:
            break
        delays.append(row.next_attempt_at - clock.now)
        assert sender.send_due() == 0  # nothing is due before its time
        clock.now = row.next_attempt_at

    [row] = rows(sqlite_sessions)
    assert row.status == "failed" and row.attempts == MAX_ATTEMPTS
    assert row.next_attempt_at is None
    assert delays == sorted(delays) and delays[0] < delays[-1]


@pytest.mark.parametrize(
    "moment",
    [
        pytest.param(datetime(2026, 3, 1, 8, 0, tzinfo=VN), id="sunday"),
        pytest.param(datetime(2026, 2, 18, 8, 0, tzinfo=VN), id="tet-2026"),
    ],
)
def test_the_digest_is_skipped_on_days_off(
    sqlite_sessions: sessionmaker[Session], moment: datetime
) -> None:
    setup_unit(sqlite_sessions)
    add_item(sqlite_sessions, 1, moment - timedelta(days=3), due_at=moment - timedelta(hours=1))
    settings = make_settings(unit_targets=[target("json://127.0.0.1:9/d", "digest")])

    AlertDetector(settings, sqlite_sessions, Clock(moment)).run()

    assert rows(sqlite_sessions, "digest") == []


def test_the_digest_goes_out_once_on_a_working_morning_with_due_and_overdue_items(
    sqlite_sessions: sessionmaker[Session],
) -> None:
    setup_unit(sqlite_sessions)
    now = MONDAY_MORNING
    received = now - timedelta(days=4)
    due_today = add_item(sqlite_sessions, 1, received, due_at=now.replace(hour=16))
    overdue = add_item(sqlite_sessions, 2, received, due_at=now - timedelta(days=1))
    tomorrow = add_item(sqlite_sessions, 3, received, due_at=now + timedelta(days=1))
    closed = add_item(sqlite_sessions, 4, received, due_at=now - timedelta(days=2), status="closed")
    settings = make_settings(
        unit_targets=[
            target("json://127.0.0.1:9/a", "digest"),
            target("json://127.0.0.1:9/b", "urgent"),
        ]
    )

    AlertDetector(settings, sqlite_sessions, Clock(now - timedelta(minutes=30))).run()
    assert rows(sqlite_sessions, "digest") == []  # 07:15: before digest_time
    for _ in range(2):
        AlertDetector(settings, sqlite_sessions, Clock(now)).run()

    [digest] = rows(sqlite_sessions, "digest")
    assert "1 mục đến hạn hôm nay, 1 mục quá hạn" in digest.subject
    assert f"/items/{due_today}" in digest.body and f"/items/{overdue}" in digest.body
    assert f"/items/{tomorrow}" not in digest.body and f"/items/{closed}" not in digest.body


def test_a_confidential_urgent_item_never_names_its_author(
    sqlite_sessions: sessionmaker[Session],
) -> None:
    setup_unit(sqlite_sessions)
    text = "Tôi là Trần Thị Bình (0987.654.321), tố cáo cán bộ đòi 300k, cháy hồ sơ của tôi"
    add_item(
        sqlite_sessions,
        1,
        SUNDAY_NIGHT,
        text=text,
        author_name="Trần Thị Bình",
        author_id="55501234",
        category="to_cao",
        confidential=True,
        urgent=True,
    )
    settings = make_settings(unit_targets=[target("json://127.0.0.1:9/a", "urgent")])

    AlertDetector(settings, sqlite_sessions, Clock(SUNDAY_NIGHT)).run()

    [row] = rows(sqlite_sessions, "urgent")
    for secret in ("Trần Thị Bình", "55501234", "0987.654.321", "0987654321"):
        assert secret not in row.body and secret not in row.subject
    assert "Tố cáo" in row.subject and "cán bộ đòi 300k" in row.body


def test_a_page_failing_repeatedly_or_silent_too_long_alerts_once_per_incident(
    sqlite_sessions: sessionmaker[Session],
) -> None:
    setup_unit(sqlite_sessions)
    clock = Clock(MONDAY_MORNING)
    settings = make_settings(admin_targets=[target("json://127.0.0.1:9/a", "page_down")])
    detector = AlertDetector(settings, sqlite_sessions, clock)
    with sqlite_sessions.begin() as s:
        s.execute(
            update(Page).values(
                last_success_at=clock.now - timedelta(minutes=10), consecutive_failures=2
            )
        )
    detector.run()
    assert rows(sqlite_sessions) == []  # 2 failures < failures_before_alert, 10 min < 30 min

    with sqlite_sessions.begin() as s:
        s.execute(update(Page).values(consecutive_failures=3, last_error="Facebook tạm thời lỗi"))
    for _ in range(3):
        detector.run()
        clock.now += timedelta(minutes=20)  # also stale by now: still the same incident
    assert [r.event for r in rows(sqlite_sessions)] == ["page_down"]
    assert "3 lần đọc liên tiếp thất bại" in rows(sqlite_sessions)[0].body

    with sqlite_sessions.begin() as s:
        s.execute(update(Page).values(last_success_at=clock.now, consecutive_failures=0))
    detector.run()
    clock.now += timedelta(minutes=31)
    detector.run()  # silent for 31 minutes since the recovery: a new incident
    events = [r.event for r in rows(sqlite_sessions)]
    assert events == ["page_down", "page_recovered", "page_down"]
    assert "không có lần đọc thành công nào" in rows(sqlite_sessions)[-1].body


def test_a_failed_reply_alerts_admin_and_unit_once_per_failure(
    sqlite_sessions: sessionmaker[Session],
) -> None:
    setup_unit(sqlite_sessions)
    now = MONDAY_MORNING
    item_id = add_item(sqlite_sessions, 1, now - timedelta(hours=2))
    with sqlite_sessions.begin() as s:
        reply = Reply(
            item_id=item_id,
            kind="public_comment",
            text="Xã đã tiếp nhận",
            status="failed",
            error="Mã truy cập trang không còn hiệu lực",
            attempts=1,
            created_at=now,
            updated_at=now,
        )
        s.add(reply)
    settings = make_settings(
        admin_targets=[target("json://127.0.0.1:9/admin", "reply_failed")],
        unit_targets=[
            target("json://127.0.0.1:9/unit", "reply_failed"),
            target("json://127.0.0.1:9/other", "urgent"),
        ],
    )
    detector = AlertDetector(settings, sqlite_sessions, Clock(now))
    detector.run()
    detector.run()
    assert len(rows(sqlite_sessions, "reply_failed")) == 2
    assert "Mã truy cập trang không còn hiệu lực" in rows(sqlite_sessions)[0].body

    with sqlite_sessions.begin() as s:  # the officer pressed "Gửi lại" and it failed again
        s.execute(update(Reply).values(attempts=2, updated_at=now + timedelta(minutes=5)))
    detector.run()
    assert len(rows(sqlite_sessions, "reply_failed")) == 4


def test_two_daemons_detecting_the_same_urgent_item_enqueue_it_once(
    sessions: sessionmaker[Session],
) -> None:
    setup_unit(sessions)
    add_item(sessions, 1, SUNDAY_NIGHT, urgent=True)
    settings = make_settings(
        unit_targets=[
            target("json://127.0.0.1:9/a", "urgent"),
            target("json://127.0.0.1:9/b", "urgent"),
        ]
    )

    first = AlertDetector(settings, sessions, Clock(SUNDAY_NIGHT))
    second = AlertDetector(settings, sessions, Clock(SUNDAY_NIGHT + timedelta(seconds=5)))
    assert first.run() == 2
    assert second.run() == 0

    assert len({r.dedupe_key for r in rows(sessions)}) == len(rows(sessions)) == 2


def test_a_backfilled_old_urgent_item_pages_nobody(sqlite_sessions: sessionmaker[Session]) -> None:
    setup_unit(sqlite_sessions)
    add_item(sqlite_sessions, 1, SUNDAY_NIGHT - timedelta(days=20), urgent=True)
    settings = make_settings(unit_targets=[target("json://127.0.0.1:9/a", "urgent")])

    AlertDetector(settings, sqlite_sessions, Clock(SUNDAY_NIGHT)).run()

    assert rows(sqlite_sessions) == []


def test_a_recipient_removed_from_the_settings_is_not_retried_and_says_why(
    sqlite_sessions: sessionmaker[Session],
) -> None:
    setup_unit(sqlite_sessions)
    add_item(sqlite_sessions, 1, SUNDAY_NIGHT, urgent=True)
    before = make_settings(unit_targets=[target("json://127.0.0.1:9/old", "urgent")])
    AlertDetector(before, sqlite_sessions, Clock(SUNDAY_NIGHT)).run()

    calls: list[str] = []

    def notify(url: str, title: str, body: str) -> SendResult:
        calls.append(url)
        return SendResult(True)

    after = make_settings(unit_targets=[target("json://127.0.0.1:9/new", "urgent")])
    sender = NotificationSender(after.alerts, sqlite_sessions, Clock(SUNDAY_NIGHT), notify=notify)
    sender.send_due()

    [row] = rows(sqlite_sessions)
    assert calls == []
    assert row.status == "failed" and row.next_attempt_at is None
    assert row.last_error is not None and "không còn trong cấu hình" in row.last_error
