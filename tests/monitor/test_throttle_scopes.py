"""A throttle pauses what Meta throttled, and ends when Meta said: the app, one page, or one
usage type of one page (Meta's rate-limiting guide; graph-api.md §4.2, §5)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from monitor.daemon import Daemon
from monitor.errors import GraphError
from monitor.governor import Governor
from simulator import GraphSimulator, World
from storage import rate_pauses
from storage.tables import Item
from tests.clock import Clock
from tests.monitor.harness import PAGES, make_daemon, settings_for

CAM, CAM2, AIQ = (p[0] for p in PAGES)
ALICE = ("9001", "Nguyễn Thị Lan")
BINH = ("9002", "Trần Văn Bình")


@pytest.fixture
def calls(sim: GraphSimulator) -> Iterator[Counter[tuple[str, str]]]:
    """Every Graph call the simulator admitted or refused, by (page, usage type)."""
    seen: Counter[tuple[str, str]] = Counter()
    admit = sim.router._admit

    def counting(page_id: str, kind: str, now: datetime, method: str) -> None:
        seen[(page_id, kind)] += 1
        admit(page_id, kind, now, method)

    sim.router._admit = counting  # type: ignore[method-assign]
    yield seen
    sim.router._admit = admit  # type: ignore[method-assign]


def daemon_for(sim: GraphSimulator, sessions: sessionmaker[Session], clock: Clock) -> Daemon:
    return make_daemon(settings_for(sim.base_url, "unused"), sessions, clock=clock)


def count(sessions: sessionmaker[Session], page_id: str, source: str) -> int:
    query = select(func.count()).select_from(Item)
    query = query.where(Item.page_id == page_id, Item.source == source)
    with sessions.begin() as session:
        return int(session.scalar(query) or 0)


def cycle(daemon: Daemon, calls: Counter[tuple[str, str]]) -> dict[str, bool]:
    calls.clear()
    return {r.page_id: r.ok for r in daemon.poll_cycle()}


def test_a_messenger_throttle_on_one_page_leaves_its_comments_and_the_other_pages_flowing(
    sim: GraphSimulator,
    world: World,
    sessions: sessionmaker[Session],
    clock: Clock,
    calls: Counter[tuple[str, str]],
) -> None:
    daemon = daemon_for(sim, sessions, clock)
    post = world.add_post(CAM, message="Thông báo lịch tiêm")
    daemon.poll_cycle()
    start = clock.now
    sim.faults.throttle("messenger", start + timedelta(minutes=7), page_id=CAM)
    world.add_message(CAM, ALICE, "mất điện từ sáng")
    world.add_message(AIQ, BINH, "cột điện nghiêng")
    assert cycle(daemon, calls)[CAM] is False  # Meta answers 80006 with 7 minutes to wait
    for step in range(13):  # every 30 s for 6.5 minutes: comments and other pages go on
        clock.advance(seconds=30)
        world.add_comment(post, author=BINH, message=f"ý kiến {step}")
        world.add_message(AIQ, BINH, f"tin {step}")
        cycle(daemon, calls)
        assert calls[(CAM, "messenger")] == 0
        assert calls[(CAM, "pages")] > 0 and calls[(AIQ, "messenger")] > 0
    assert count(sessions, CAM, "facebook_comment") == 13
    assert count(sessions, AIQ, "facebook_message") == 14
    assert count(sessions, CAM, "facebook_message") == 0
    clock.now = start + timedelta(minutes=7) - timedelta(seconds=1)
    cycle(daemon, calls)
    assert calls[(CAM, "messenger")] == 0  # not a second before Meta's time
    world.add_message(CAM, ALICE, "vẫn chưa có điện")
    clock.now = start + timedelta(minutes=7)
    assert cycle(daemon, calls)[CAM] is True
    assert calls[(CAM, "messenger")] > 0
    cycle(daemon, calls)
    assert count(sessions, CAM, "facebook_message") == 2  # both, once each


def test_a_pages_throttle_resumes_at_the_stated_minute_while_the_inbox_goes_on(
    sim: GraphSimulator,
    world: World,
    sessions: sessionmaker[Session],
    clock: Clock,
    calls: Counter[tuple[str, str]],
) -> None:
    daemon = daemon_for(sim, sessions, clock)
    post = world.add_post(CAM, message="Thông báo")
    daemon.poll_cycle()
    start = clock.now
    sim.faults.throttle("pages", start + timedelta(minutes=5), page_id=CAM)
    world.add_comment(post, author=ALICE, message="đường ngập")
    cycle(daemon, calls)
    world.add_message(CAM, BINH, "hỏi thủ tục")
    clock.now = start + timedelta(minutes=5) - timedelta(seconds=1)
    cycle(daemon, calls)
    assert calls[(CAM, "pages")] == 0 and calls[(CAM, "messenger")] > 0
    assert count(sessions, CAM, "facebook_message") == 1
    clock.now = start + timedelta(minutes=5)
    assert cycle(daemon, calls)[CAM] is True
    assert count(sessions, CAM, "facebook_comment") == 1


def test_an_app_throttle_pauses_every_page_and_every_daemon_and_resumes_them_all_at_its_time(
    sim: GraphSimulator,
    world: World,
    sessions: sessionmaker[Session],
    clock: Clock,
    calls: Counter[tuple[str, str]],
) -> None:
    daemon = daemon_for(sim, sessions, clock)
    other = make_daemon(
        settings_for(sim.base_url, "unused"), sessions, clock=clock, owner="may-2:1"
    )
    daemon.poll_cycle()
    start = clock.now
    # (#4) with X-App-Usage at 100 %: Meta states no time, so the app waits 60 s.
    sim.faults.throttle("app", start + timedelta(seconds=30))
    world.add_message(CAM, ALICE, "xin chào")
    results = cycle(daemon, calls)
    assert not any(results.values())
    # The first batch of the cycle was refused as a whole; nothing is asked after it.
    assert max(calls.values()) == 1
    for page_id, _, _, _ in PAGES:
        world.add_message(page_id, BINH, "tin trong lúc tạm dừng")
    clock.now = start + timedelta(seconds=59)
    cycle(daemon, calls)
    cycle(other, calls)  # another daemon sharing the database holds the app's pause too
    assert sum(calls.values()) == 0
    with sessions.begin() as session:
        shared = rate_pauses.pauses(session, clock.now)
    assert [(p.page_id, p.kind, p.until) for p in shared] == [
        ("", "app", start + timedelta(seconds=60))
    ]
    clock.now = start + timedelta(seconds=60)
    assert all(cycle(daemon, calls).values())
    assert {page for page, _ in calls} == {CAM, CAM2, AIQ}
    assert count(sessions, CAM, "facebook_message") == 2
    assert count(sessions, CAM2, "facebook_message") == 1
    assert count(sessions, AIQ, "facebook_message") == 1


def test_a_page_limit_without_usage_headers_pauses_that_page_alone_backing_off_from_a_minute(
    sim: GraphSimulator,
    world: World,
    sessions: sessionmaker[Session],
    clock: Clock,
    calls: Counter[tuple[str, str]],
) -> None:
    daemon = daemon_for(sim, sessions, clock)
    daemon.poll_cycle()
    start = clock.now
    sim.faults.throttle("page", start + timedelta(seconds=90), page_id=AIQ)
    results = cycle(daemon, calls)
    assert results == {CAM: True, CAM2: True, AIQ: False}
    clock.now = start + timedelta(seconds=59)
    assert cycle(daemon, calls)[CAM] is True
    assert calls[(AIQ, "pages")] + calls[(AIQ, "messenger")] == 0
    clock.now = start + timedelta(seconds=60)  # the probe: still limited, so 120 s now
    assert cycle(daemon, calls)[AIQ] is False
    # One probe: the page's first feed and inbox pages, asked in the cycle's one batch.
    assert calls[(AIQ, "pages")] == calls[(AIQ, "messenger")] == 1
    world.add_message(AIQ, BINH, "cột điện nghiêng")
    clock.now = start + timedelta(seconds=179)
    cycle(daemon, calls)
    assert calls[(AIQ, "pages")] + calls[(AIQ, "messenger")] == 0
    clock.now = start + timedelta(seconds=180)
    assert cycle(daemon, calls)[AIQ] is True
    assert count(sessions, AIQ, "facebook_message") == 1


def test_a_webhook_for_the_paused_page_or_a_success_elsewhere_does_not_end_the_pause(
    sim: GraphSimulator,
    world: World,
    sessions: sessionmaker[Session],
    clock: Clock,
    calls: Counter[tuple[str, str]],
) -> None:
    daemon = daemon_for(sim, sessions, clock)
    daemon.poll_cycle()
    sim.faults.throttle("messenger", clock.now + timedelta(minutes=3), page_id=CAM)
    cycle(daemon, calls)
    sim.faults.clear()  # even once Meta would answer again, the stated time stands
    clock.advance(minutes=1)
    world.add_message(CAM, ALICE, "khẩn cấp")
    calls.clear()
    daemon.poll_now(feed_pages=[CAM], inbox_pages=[CAM])  # a webhook named the page
    daemon.poll_cycle()  # and every other page succeeds
    assert calls[(CAM, "messenger")] == 0 and calls[(AIQ, "messenger")] > 0
    clock.advance(minutes=2)
    cycle(daemon, calls)
    assert count(sessions, CAM, "facebook_message") == 1


def test_page_state_says_in_vietnamese_what_is_paused_and_until_when(
    sim: GraphSimulator, sessions: sessionmaker[Session], clock: Clock
) -> None:
    daemon = daemon_for(sim, sessions, clock)
    sim.faults.throttle("messenger", clock.now + timedelta(minutes=7), page_id=CAM)
    daemon.poll_cycle()
    with sessions.begin() as session:
        stored = rate_pauses.pauses(session, clock.now)
    [pause] = rate_pauses.pauses_of_page(stored, CAM, clock.now)
    assert (pause.kind, pause.stated) == ("messenger", True)
    text = rate_pauses.describe(pause, "15:07 02/03")
    assert text.startswith("Facebook giới hạn trang này: tạm dừng đọc tin nhắn Messenger")
    assert "15:07 02/03" in text and "theo thời điểm Facebook báo" in text
    assert rate_pauses.pauses_of_page(stored, AIQ, clock.now) == []


def app_usage(percent: int) -> dict[str, str]:
    return {"X-App-Usage": f'{{"call_count": {percent}, "total_cputime": 1, "total_time": 1}}'}


def buc_usage(page_id: str, kind: str, minutes: int) -> dict[str, str]:
    entry = (
        f'{{"type": "{kind}", "call_count": 100, "total_cputime": 20, "total_time": 30, '
        f'"estimated_time_to_regain_access": {minutes}}}'
    )
    return {"X-Business-Use-Case-Usage": f'{{"{page_id}": [{entry}]}}'}


def test_meta_s_stated_time_is_never_stretched_by_the_backoff(clock: Clock) -> None:
    governor = Governor(clock)
    start = clock.now
    governor.observe(buc_usage(CAM, "messenger", 3))
    err = GraphError("throttled", code=80006, retry_after_seconds=180)
    clock.advance(seconds=20)  # the cycle went on before its failures were sorted
    for _ in range(3):
        assert governor.throttled(CAM, 180, "messenger", err) == start + timedelta(minutes=3)
    assert governor.level(CAM, "pages") == "normal" and governor.level(AIQ, "messenger") == "normal"
    clock.now = start + timedelta(minutes=3)
    assert governor.level(CAM, "messenger") == "normal"


def test_the_app_s_usage_pauses_every_page_for_a_backoff_that_doubles_while_it_stays_high(
    clock: Clock,
) -> None:
    governor = Governor(clock)
    start = clock.now
    governor.observe(app_usage(95))
    assert {governor.level(p, k) for p in (CAM, AIQ) for k in ("pages", "messenger")} == {"paused"}
    clock.now = start + timedelta(seconds=60)
    assert governor.level(AIQ, "messenger") == "normal"  # the probe may go
    governor.observe(app_usage(92))
    clock.now = start + timedelta(seconds=179)
    assert governor.level(CAM, "pages") == "paused"
    clock.now = start + timedelta(seconds=180)
    governor.observe(app_usage(40))
    governor.observe(app_usage(91))  # clear, then high again: 60 s from the start once more
    assert governor.pause_for(CAM, "pages") is not None
    assert governor.pauses[("", "app")].until == clock.now + timedelta(seconds=60)
