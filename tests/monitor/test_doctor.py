"""``pakn doctor``'s probes against the simulator, and the daemon's daily token check."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.schema import Secret
from config.settings import (
    AlertSettings,
    GraphSettings,
    NotificationTarget,
    PageSettings,
    Settings,
    UnitSettings,
)
from monitor.alerts import AlertDetector
from monitor.doctor import (
    REQUIRED_PERMISSIONS,
    CommentSample,
    Finding,
    Reader,
    check_order,
    check_permissions,
    check_reels,
    check_usage,
    check_version,
    diagnose,
    read_permissions,
)
from monitor.graph import GraphClient
from monitor.token_watch import TokenWatch
from simulator import Behaviour, GraphSimulator, World
from storage.poll_state import sync_pages
from storage.tables import Notification
from tests.clock import Clock
from tests.monitor.harness import PAGES

PAGE_ID, PAGE_NAME, UNIT, TOKEN = PAGES[0]
PAGE = PageSettings(PAGE_ID, PAGE_NAME, UNIT, Secret(TOKEN))


class RecordingSession(requests.Session):
    """The HTTP seam: every method the client sends, as it leaves."""

    def __init__(self) -> None:
        super().__init__()
        self.methods: list[str] = []

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kw: Any) -> Any:
        self.methods.append(str(method))
        return super().request(method, url, *args, **kw)


def client_for(sim: GraphSimulator, http: requests.Session | None = None) -> GraphClient:
    settings = GraphSettings(base_url=sim.base_url, max_retries=0, timeout_seconds=5)
    return GraphClient(settings, http=http)


def doctor(
    sim: GraphSimulator,
    clock: Clock,
    page: PageSettings = PAGE,
    *,
    http: requests.Session | None = None,
    app_token: str | None = None,
) -> list[Finding]:
    """The doctor on the test clock: its pauses between Conversations API calls move it."""

    def sleep(seconds: float) -> None:
        clock.advance(seconds=seconds)

    return diagnose(client_for(sim, http), page, clock.now, app_token=app_token, sleep=sleep)


def statuses(findings: list[Finding]) -> dict[str, str]:
    return {f.check: f.status for f in findings}


def by_check(findings: list[Finding], check: str) -> Finding:
    return next(f for f in findings if f.check == check)


def busy_page(world: World, clock: Clock) -> None:
    """Two posts, citizens' comments a minute apart, a message in the inbox and one in spam."""
    start = clock.now - timedelta(hours=3)
    for n in range(2):
        post = world.add_post(PAGE_ID, f"Thông báo số {n}", created_time=start)
        for k in range(3):
            moment = start + timedelta(minutes=10 * n + k + 1)
            author = (f"50{n}{k}", "Nguyễn Văn An")
            world.add_comment(post, author, f"Hỏi {n}.{k}", created_time=moment)
    world.add_message(PAGE_ID, ("601", "Đỗ Thị Hoa"), "mất sóng 4G cả tuần nay rồi ad ơi")
    world.add_message(PAGE_ID, ("602", "Quảng cáo"), "vay tiền nhanh", folder="spam")


@pytest.fixture
def page(world: World, clock: Clock) -> World:
    busy_page(world, clock)
    # Meta's limit of 2 thread reads a second (the daemon harness turns it off): the doctor
    # must space its four folder reads.
    world.set_conversation_rate(2)
    return world


def test_a_healthy_page_passes_every_check(page: World, sim: GraphSimulator, clock: Clock) -> None:
    sim.router.diagnostics.subscribe(PAGE_ID, ["feed", "messages"])

    findings = doctor(sim, clock)

    assert set(statuses(findings).values()) == {"ok"}, findings
    assert [f.check for f in findings] == [
        "token",
        "token_expiry",
        "data_access",
        "permissions",
        "from",
        "order",
        "reels",
        "folders",
        "webhooks",
        "usage",
        "version",
    ]
    assert "inbox: 1" in by_check(findings, "folders").detail
    assert "spam: 1" in by_check(findings, "folders").detail
    assert "feed, messages" in by_check(findings, "webhooks").detail
    assert by_check(findings, "usage").title.startswith("Mức dùng API: pages ")
    assert "messenger chưa có số liệu" not in by_check(findings, "usage").title


def test_a_revoked_token_is_one_error_and_nothing_else_is_read(
    page: World, sim: GraphSimulator, clock: Clock
) -> None:
    page.revoke_token(PAGE_ID)

    findings = doctor(sim, clock)

    assert [(f.check, f.status) for f in findings] == [("token", "error")]
    assert "190/460" in findings[0].detail and "access_token" in findings[0].fix
    assert sim.stats.snapshot()["requests_by_path"] == {"/me": 1}


def test_with_an_app_token_an_expired_token_is_reported_with_the_moment_it_expired(
    page: World, sim: GraphSimulator, clock: Clock
) -> None:
    expired = clock.now - timedelta(days=2)
    sim.router.diagnostics.grant(TOKEN, expires_at=expired)

    findings = doctor(sim, clock, app_token="100000000000000|secret")

    assert statuses(findings) == {"token": "error", "token_expiry": "error", "data_access": "ok"}
    assert "190/463" in by_check(findings, "token").detail
    assert by_check(findings, "token_expiry").title.startswith("Mã truy cập đã hết hạn lúc")
    assert "28/02/2026" in by_check(findings, "token_expiry").title


def test_a_token_expiring_in_five_days_is_a_warning_with_its_date(
    page: World, sim: GraphSimulator, clock: Clock
) -> None:
    sim.router.diagnostics.grant(
        TOKEN,
        expires_at=clock.now + timedelta(days=5),
        data_access_expires_at=clock.now + timedelta(days=60),
    )

    findings = doctor(sim, clock)

    expiry = by_check(findings, "token_expiry")
    assert expiry.status == "warning"
    assert "hết hạn sau 5 ngày" in expiry.title and "07/03/2026" in expiry.title
    assert "access_token" in expiry.fix
    assert by_check(findings, "data_access").status == "ok"
    assert "01/05/2026" in by_check(findings, "data_access").title


def test_data_access_ending_within_a_week_is_a_warning(
    page: World, sim: GraphSimulator, clock: Clock
) -> None:
    sim.router.diagnostics.grant(TOKEN, data_access_expires_at=clock.now + timedelta(days=3))

    access = by_check(doctor(sim, clock), "data_access")

    assert access.status == "warning" and "hết hạn sau 3 ngày" in access.title
    assert "90 ngày" in access.fix


def test_missing_permissions_are_listed_with_what_each_one_breaks(
    page: World, sim: GraphSimulator, clock: Clock
) -> None:
    granted = [p for p in REQUIRED_PERMISSIONS if p not in ("pages_messaging",)]
    # pages_manage_engagement granted for another Page only: it does not count for this one.
    sim.router.diagnostics.grant(
        TOKEN, scopes=granted, other_pages_only=["pages_manage_engagement"]
    )

    found = by_check(doctor(sim, clock), "permissions")

    assert found.status == "error"
    assert found.title == "Thiếu quyền: pages_manage_engagement, pages_messaging"
    assert found.detail.splitlines() == [
        f"- pages_manage_engagement: {REQUIRED_PERMISSIONS['pages_manage_engagement']}",
        f"- pages_messaging: {REQUIRED_PERMISSIONS['pages_messaging']}",
    ]
    assert "bước 2" in found.fix


def test_me_permissions_lists_what_the_token_was_granted(sim: GraphSimulator, clock: Clock) -> None:
    sim.router.diagnostics.grant(TOKEN, scopes=["pages_show_list", "pages_messaging"])

    granted = read_permissions(Reader(client_for(sim), PAGE))

    assert granted == {"pages_show_list", "pages_messaging"}
    assert check_permissions(granted, PAGE).status == "error"


def test_without_pages_messaging_a_page_not_read_on_messenger_only_warns(
    page: World, sim: GraphSimulator, clock: Clock
) -> None:
    granted = [p for p in REQUIRED_PERMISSIONS if p != "pages_messaging"]
    sim.router.diagnostics.grant(TOKEN, scopes=granted)
    no_messenger = PageSettings(PAGE_ID, PAGE_NAME, UNIT, Secret(TOKEN), messenger=False)

    findings = doctor(sim, clock, no_messenger)

    assert by_check(findings, "permissions").status == "warning"
    assert by_check(findings, "folders").status == "skipped"


def test_comments_without_from_warn_that_the_app_lacks_advanced_access(
    page: World, sim: GraphSimulator, clock: Clock
) -> None:
    page.set_from_hidden(PAGE_ID)

    found = by_check(doctor(sim, clock), "from")

    assert found.status == "warning"
    assert "Advanced Access" in found.title
    assert found.detail.startswith("6/6 bình luận của người dân không có trường from.")
    assert "App Review" in found.fix


def test_a_page_without_comments_cannot_tell_about_from_or_order(
    world: World, sim: GraphSimulator, clock: Clock
) -> None:
    world.add_post(PAGE_ID, "Lịch tiếp công dân")

    findings = doctor(sim, clock)

    assert (by_check(findings, "from").status, by_check(findings, "order").status) == (
        "skipped",
        "skipped",
    )


@pytest.mark.parametrize(
    ("honours", "title"),
    [
        (False, "Trang bỏ qua order=reverse_chronological"),
        (True, "Trang tôn trọng order=reverse_chronological"),
    ],
)
def test_the_order_check_reports_which_order_the_page_serves(
    page: World, sim: GraphSimulator, clock: Clock, honours: bool, title: str
) -> None:
    page.behaviour = Behaviour(stream_honours_order=honours)

    found = by_check(doctor(sim, clock), "order")

    assert (found.status, found.title) == ("ok", title)


def test_an_order_that_disagrees_with_summary_order_is_a_warning() -> None:
    t = datetime(2026, 3, 1, 8, 0)
    times = [t, t + timedelta(minutes=1), t + timedelta(minutes=2)]
    said_newest_first = CommentSample(orders=[(times, "reverse_chronological")])
    shuffled = CommentSample(orders=[([times[1], times[0], times[2]], "chronological")])

    assert check_order(said_newest_first).status == "warning"
    assert "cũ trước" in check_order(said_newest_first).detail
    assert check_order(shuffled).status == "warning"


def test_reels_missing_from_the_feed_are_a_warning(
    page: World, sim: GraphSimulator, clock: Clock
) -> None:
    page.add_reel(PAGE_ID, "Ra quân dọn vệ sinh", created_time=clock.now - timedelta(hours=1))

    found = by_check(doctor(sim, clock), "reels")

    assert found.status == "warning"
    assert found.detail.startswith("1/1 reels gần nhất không có trong /feed")


def test_reels_listed_in_the_feed_are_fine() -> None:
    feed = [
        {"id": "100000000000001_555", "created_time": "2026-03-02T07:00:00+0000"},
        {"id": "100000000000001_444", "created_time": "2026-03-01T07:00:00+0000"},
    ]
    reels = [
        {"id": "555", "created_time": "2026-03-02T07:00:00+0000"},
        # Older than anything read from the feed: not expected in that part of it.
        {"id": "333", "created_time": "2026-02-01T07:00:00+0000"},
    ]

    assert check_reels(reels, feed).status == "ok"
    assert check_reels(reels, feed[1:]).status == "warning"


def test_webhook_subscriptions_need_pages_show_list_to_be_read(
    page: World, sim: GraphSimulator, clock: Clock
) -> None:
    sim.router.diagnostics.grant(
        TOKEN, scopes=[p for p in REQUIRED_PERMISSIONS if p != "pages_show_list"]
    )

    found = by_check(doctor(sim, clock), "webhooks")

    assert found.status == "warning" and "#200" in found.detail
    assert "pages_show_list" in found.fix


def test_usage_is_the_latest_figure_of_each_budget_and_warns_from_75_percent() -> None:
    def buc(kind: str, pct: int) -> dict[str, str]:
        entry = f'{{"type": "{kind}", "call_count": {pct}, "total_cputime": 1, "total_time": 1}}'
        return {"X-Business-Use-Case-Usage": f'{{"{PAGE_ID}": [{entry}]}}'}

    headers = [buc("pages", 90), buc("pages", 12), buc("messenger", 80), {"x-app-usage": "{}"}]

    found = check_usage(headers, PAGE_ID)

    assert found.title == "Mức dùng API: pages 12 %, messenger 80 %, ứng dụng 0 %"
    assert found.status == "warning"
    assert check_usage([buc("pages", 12)], PAGE_ID).title.endswith("ứng dụng chưa có số liệu")


def test_a_served_version_other_than_the_pinned_one_is_a_warning() -> None:
    assert check_version("v25.0", "v25.0").status == "ok"
    moved = check_version("v26.0", "v24.0")
    assert moved.status == "warning" and "graph.version" in moved.fix


def test_the_doctor_only_ever_sends_get_requests(
    page: World, sim: GraphSimulator, clock: Clock
) -> None:
    page.add_reel(PAGE_ID, "Ra quân", created_time=clock.now - timedelta(hours=1))
    http = RecordingSession()
    comments_before = {p: page.comment_ids(p) for p in page.post_ids(PAGE_ID)}

    doctor(sim, clock, http=http, app_token="100000000000000|secret")

    assert set(http.methods) == {"GET"} and len(http.methods) >= 12
    assert "/" not in sim.stats.snapshot()["requests_by_path"]  # no batch POST either
    assert page.sent_by_page() == []
    assert {p: page.comment_ids(p) for p in page.post_ids(PAGE_ID)} == comments_before


# -- the daemon's daily token check -----------------------------------------------------------
ADMIN = NotificationTarget(url=Secret("json://127.0.0.1:9/admin"), events=["page_down"])


@pytest.fixture
def watch_settings(sim: GraphSimulator) -> Settings:
    return Settings(
        units=[UnitSettings(UNIT, "UBND xã Cẩm Giàng")],
        pages=[PAGE],
        graph=GraphSettings(base_url=sim.base_url, max_retries=0, timeout_seconds=5),
        alerts=AlertSettings(admin_targets=[ADMIN]),
    )


@pytest.fixture
def watch(
    watch_settings: Settings, sessions: sessionmaker[Session], sim: GraphSimulator, clock: Clock
) -> TokenWatch:
    with sessions.begin() as s:
        sync_pages(s, [(UNIT, "UBND xã Cẩm Giàng", "xa")], [(PAGE_ID, PAGE_NAME, UNIT)])
    detector = AlertDetector(watch_settings, sessions, clock)
    return TokenWatch(watch_settings, client_for(sim), sessions, clock, detector.token_expiring)


def alerts(sessions: sessionmaker[Session]) -> list[Notification]:
    with sessions.begin() as s:
        query = select(Notification).where(Notification.event == "token_expiring")
        rows = list(s.scalars(query.order_by(Notification.id)))
        s.expunge_all()
        return rows


def test_a_token_expiring_in_five_days_alerts_the_admin_once_not_every_day(
    watch: TokenWatch, sessions: sessionmaker[Session], sim: GraphSimulator, clock: Clock
) -> None:
    sim.router.diagnostics.grant(TOKEN, expires_at=clock.now + timedelta(days=5))

    for _day in range(4):
        watch.run()
        clock.advance(days=1, minutes=1)

    [alert] = alerts(sessions)
    assert alert.subject == f"[pakn] Mã truy cập của trang {PAGE_NAME} hết hạn sau 5 ngày"
    assert "pakn doctor 100000000000001" in alert.body and TOKEN not in alert.body
    assert "UBND xã Cẩm Giàng" in alert.body
    assert sim.stats.snapshot()["requests_by_path"]["/debug_token"] == 4


def test_the_token_check_asks_meta_once_a_day_however_often_it_wakes(
    watch: TokenWatch, sim: GraphSimulator, clock: Clock
) -> None:
    for _hour in range(30):
        watch.run()
        clock.advance(hours=1)

    assert sim.stats.snapshot()["requests_by_path"]["/debug_token"] == 2


def test_a_renewed_token_that_expires_again_is_news(
    watch: TokenWatch,
    watch_settings: Settings,
    sessions: sessionmaker[Session],
    sim: GraphSimulator,
    world: World,
    clock: Clock,
) -> None:
    sim.router.diagnostics.grant(TOKEN, data_access_expires_at=clock.now + timedelta(days=6))
    watch.run()
    world.set_token(PAGE_ID, "tok-camgiang-moi")
    sim.router.diagnostics.grant("tok-camgiang-moi", expires_at=clock.now + timedelta(days=6))
    renewed = PageSettings(PAGE_ID, PAGE_NAME, UNIT, Secret("tok-camgiang-moi"))
    watch.settings = Settings(
        units=watch_settings.units,
        pages=[renewed],
        graph=watch_settings.graph,
        alerts=watch_settings.alerts,
    )
    clock.advance(days=1)
    watch.run()

    subjects = [a.subject for a in alerts(sessions)]
    assert subjects == [
        f"[pakn] Quyền truy cập dữ liệu của trang {PAGE_NAME} hết hạn sau 6 ngày",
        f"[pakn] Mã truy cập của trang {PAGE_NAME} hết hạn sau 5 ngày",
    ]


def test_no_alert_for_a_token_that_does_not_expire_soon_or_is_already_dead(
    watch: TokenWatch,
    sessions: sessionmaker[Session],
    sim: GraphSimulator,
    world: World,
    clock: Clock,
) -> None:
    sim.router.diagnostics.grant(TOKEN, expires_at=clock.now + timedelta(days=8))
    watch.run()
    world.revoke_token(PAGE_ID)
    clock.advance(days=2)
    watch.run()

    assert alerts(sessions) == []
