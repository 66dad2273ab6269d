"""One broken object never holds up the rest; caps never skip; budgets stay apart.

A post, reel or conversation that fails on every read is recorded with its error and backed off
alone, while every other item of its page and its inbox is stored in the same cycles. The feed
and the inbox are separate units: one failing never skips the other. A walk stopped by a page
cap leaves its watermark where it was and finishes later. Messenger usage never stops the
comment reconciliation.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.daemon import Daemon
from simulator import GraphSimulator, World
from simulator.errors import GraphError as SimulatedError
from simulator.router import GraphRequest
from storage.tables import Conversation, Page, Post
from tests.clock import Clock
from tests.monitor.harness import PAGES, failing, make_daemon, settings_for, stored

CAM, CAM2, AIQ = (p[0] for p in PAGES)
ALICE = ("9001", "Nguyễn Thị Lan")
BINH = ("9002", "Trần Văn Bình")
CUONG = ("9003", "Lê Văn Cường")
DAY = timedelta(days=1)


def daemon_for(
    sim: GraphSimulator, sessions: sessionmaker[Session], clock: Clock, **poll: Any
) -> Daemon:
    return make_daemon(settings_for(sim.base_url, "unused", **poll), sessions, clock=clock)


def cycle(daemon: Daemon, clock: Clock, minutes: float = 1) -> dict[str, str]:
    """One cycle; returns the reason of each page that did not read cleanly."""
    clock.advance(minutes=minutes)
    return {r.page_id: r.reason for r in daemon.poll_cycle() if not r.ok}


def a_page_with_history(world: World, clock: Clock) -> dict[str, str]:
    """Posts over 200 days, a reel, an album, two conversations; the named ones returned."""
    posts = [
        world.add_post(CAM, f"Tin {n}", created_time=clock() - n * 2 * DAY)
        for n in range(100, 0, -1)
    ]
    reel = world.add_reel(CAM, "Reel lễ hội", clock() - 2 * DAY)
    album = world.add_album_post(CAM, "Ảnh hội nghị", photos=2, created_time=clock() - 40 * DAY)
    world.add_message(CAM, ALICE, "chào ad")
    world.add_message(CAM, BINH, "cho hỏi lịch tiếp dân")
    return {
        "old post": posts[10],  # 180 days old: checked by multi-id reads
        "other old post": posts[30],
        "new post": posts[-1],
        "reel": reel,
        "photo": world.photo_ids(album)[0],
    }


@pytest.mark.parametrize("broken", ["old post", "new post", "reel", "photo"])
def test_an_object_that_fails_on_every_read_delays_nothing_else_of_its_page(
    sim: GraphSimulator,
    world: World,
    sessions: sessionmaker[Session],
    clock: Clock,
    broken: str,
) -> None:
    named = a_page_with_history(world, clock)
    daemon = daemon_for(sim, sessions, clock)
    assert cycle(daemon, clock) == {}
    bad = named[broken]
    with failing(sim, bad):
        lost = world.add_comment(bad, CUONG, "bài này không đọc được")
        others = [
            world.add_comment(named[k], ALICE, f"hỏi về {k}") for k in named if named[k] != bad
        ]
        world.add_message(CAM, BINH, "ad ơi trả lời em với")
        for _ in range(4):
            assert cycle(daemon, clock, minutes=20) == {}  # the page itself reads fine
        assert {("facebook_comment", c) for c in others} <= stored(sessions)
        assert world.citizen_items() - stored(sessions) == {("facebook_comment", lost)}
        with sessions.begin() as s:
            row = s.get(Post, bad)
            assert row is not None and row.failures >= 2 and row.last_error
            assert "Facebook tạm thời không trả lời" in row.last_error
            # Backed off: not asked again at every cycle.
            assert row.next_check_at is not None and row.next_check_at > clock()
            failures = row.failures
        assert cycle(daemon, clock) == {}
        with sessions.begin() as s:
            row = s.get(Post, bad)
            assert row is not None and row.failures == failures
    cycle(daemon, clock, minutes=240)  # past the longest backoff reached so far
    assert world.citizen_items() <= stored(sessions)
    with sessions.begin() as s:
        row = s.get(Post, bad)
        assert row is not None and row.failures == 0 and row.last_error is None


def test_a_conversation_that_fails_on_every_read_delays_nothing_else(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: Clock
) -> None:
    named = a_page_with_history(world, clock)
    daemon = daemon_for(sim, sessions, clock)
    assert cycle(daemon, clock) == {}
    bad = world.conversation_with(CAM, ALICE[0])
    assert bad is not None
    with failing(sim, bad):
        world.add_message(CAM, ALICE, "tin này không đọc được")
        world.add_message(CAM, BINH, "cảm ơn ad")
        world.add_message(CAM, CUONG, "xin chào, tôi mới chuyển đến thôn 3")
        comment = world.add_comment(named["old post"], CUONG, "vẫn chưa sửa đường")
        for _ in range(3):
            assert cycle(daemon, clock, minutes=25) == {}
        missing = world.citizen_items() - stored(sessions)
        assert missing and all(source == "facebook_message" for source, _ in missing)
        assert ("facebook_comment", comment) in stored(sessions)
        with sessions.begin() as s:
            row = s.get(Conversation, bad)
            assert row is not None and row.failures >= 1 and row.last_error
            assert row.retry_at is not None and row.retry_at > clock()
    cycle(daemon, clock, minutes=240)
    assert world.citizen_items() <= stored(sessions)


def test_a_failing_inbox_never_skips_the_comments(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: Clock
) -> None:
    named = a_page_with_history(world, clock)
    daemon = daemon_for(sim, sessions, clock)
    assert cycle(daemon, clock) == {}
    with failing(sim, CAM, "conversations"):
        world.add_message(CAM, ALICE, "mất điện cả xóm")
        comments = [world.add_comment(named[k], BINH, "cho hỏi") for k in ("new post", "reel")]
        failed = cycle(daemon, clock)
    assert set(failed) == {CAM} and failed[CAM].startswith("Tin nhắn:")
    assert {("facebook_comment", c) for c in comments} <= stored(sessions)
    assert cycle(daemon, clock) == {}
    assert world.citizen_items() <= stored(sessions)


def test_a_failing_feed_never_skips_the_inbox(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: Clock
) -> None:
    named = a_page_with_history(world, clock)
    daemon = daemon_for(sim, sessions, clock)
    assert cycle(daemon, clock) == {}
    with failing(sim, CAM, ""):
        world.add_message(CAM, ALICE, "mất điện cả xóm")
        comment = world.add_comment(named["new post"], BINH, "cho hỏi")
        failed = cycle(daemon, clock)
    assert set(failed) == {CAM} and failed[CAM].startswith("Bình luận:")
    thread = world.conversation_with(CAM, ALICE[0])
    newest = world.last_message(thread) if thread else None
    assert newest is not None and ("facebook_message", newest.id) in stored(sessions)
    assert ("facebook_comment", comment) not in stored(sessions)
    assert cycle(daemon, clock) == {}
    assert world.citizen_items() <= stored(sessions)


def test_a_capped_feed_walk_lists_the_rest_later_instead_of_skipping_it(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: Clock
) -> None:
    world.add_post(CAM, "Bài cũ", created_time=clock() - 30 * DAY)
    daemon = daemon_for(sim, sessions, clock, max_feed_pages=1, feed_page_limit=10)
    assert cycle(daemon, clock) == {}
    # A burst of 260 posts in an afternoon (an import of old announcements, say).
    burst = [
        world.add_post(CAM, f"Thông báo {n}", created_time=clock() - timedelta(minutes=n))
        for n in range(260, 0, -1)
    ]
    visitor = world.add_post(CAM, "Đèn đường hỏng", BINH, clock() - timedelta(minutes=255))
    comment = world.add_comment(burst[3], ALICE, "thông báo này áp dụng cho thôn nào ạ")
    assert cycle(daemon, clock) == {}
    with sessions.begin() as s:
        page = s.get(Page, CAM)
        assert page is not None and json.loads(page.feed_gaps or "[]")  # the rest stays a gap
    for _ in range(3):
        assert cycle(daemon, clock) == {}
    assert {("facebook_comment", comment), ("facebook_post", visitor)} <= stored(sessions)
    with sessions.begin() as s:
        page = s.get(Page, CAM)
        assert page is not None and page.feed_gaps == "[]"
        known = set(s.scalars(select(Post.id).where(Post.page_id == CAM)))
    assert set(burst) <= known


def test_a_capped_conversation_walk_keeps_its_watermark_and_reads_the_rest_next(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: Clock
) -> None:
    world.add_message(CAM, ALICE, "chào ad")
    daemon = daemon_for(sim, sessions, clock, max_conversation_pages=1)
    assert cycle(daemon, clock) == {}
    with sessions.begin() as s:
        page = s.get(Page, CAM)
        assert page is not None
        mark = page.conversations_watermark
    for n in range(60):  # 60 people write at once: more than one page of 25 conversations
        world.add_message(CAM, (str(5000 + n), f"Người {n}"), f"tin nhắn {n}")
    assert cycle(daemon, clock) == {}
    with sessions.begin() as s:
        page = s.get(Page, CAM)
        assert page is not None and page.conversations_watermark == mark
    assert cycle(daemon, clock) == {}
    assert world.citizen_items() <= stored(sessions)


def test_an_exhausted_messenger_budget_never_stops_the_comment_reconciliation(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: Clock
) -> None:
    named = a_page_with_history(world, clock)
    daemon = daemon_for(sim, sessions, clock)
    assert cycle(daemon, clock) == {}
    world.set_messenger_budget(CAM, 3, 86400)
    token = PAGES[0][3]
    for _ in range(3):  # another app on the same page spends the Messenger budget
        url = f"{sim.base_url}/v25.0/{CAM}/conversations"
        requests.get(url, params={"access_token": token}, timeout=5)
    world.add_message(CAM, ALICE, "ad ơi")
    comment = world.add_comment(named["old post"], BINH, "đường thôn 5 bao giờ sửa")
    reasons = [cycle(daemon, clock, minutes=10) for _ in range(7)]
    assert ("facebook_comment", comment) in stored(sessions)
    assert all(set(r) <= {CAM} for r in reasons)
    assert all(r.get(CAM, "Tin nhắn:").startswith("Tin nhắn:") for r in reasons)
    assert daemon.governor.level(CAM, "pages") == "normal"


def test_a_token_that_may_not_list_reels_still_reads_the_feed(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: Clock
) -> None:
    """Video listings are only for Page admins: a refused reels listing must not cost the
    posts, and is not asked again."""
    named = a_page_with_history(world, clock)
    route = sim.router._route

    def no_reels(request: GraphRequest, page_id: str, kind: str, now: datetime) -> Any:
        asks = "video_reels" in request.path or "video_reels" in request.params.get("fields", "")
        if page_id == CAM and asks:
            raise SimulatedError("(#10) Requires pages_read_engagement for video listings", 10)
        return route(request, page_id, kind, now)

    sim.router._route = no_reels  # type: ignore[method-assign]
    daemon = daemon_for(sim, sessions, clock)
    assert cycle(daemon, clock) == {}
    comment = world.add_comment(named["new post"], ALICE, "cho hỏi lịch họp thôn")
    sim.stats.reset()
    assert cycle(daemon, clock) == {}
    assert ("facebook_comment", comment) in stored(sessions)
    assert not any("video_reels" in path for path in sim.stats.snapshot()["requests_by_path"])
    assert CAM in daemon.ctx.reels_refused
