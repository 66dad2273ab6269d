"""New comments are found whatever the feed order, the age of the post, or where they sit.

The feed lists posts by creation: a comment never brings an old post back to the first page.
Each test runs against what Meta leaves open both ways where it matters (simulator.Behaviour):
whether a reply or a photo comment moves ``updated_time``, whether a stream honours ``order``,
whether a multi-id read fails or leaves out an id that is gone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.daemon import Daemon
from simulator import Behaviour, GraphSimulator, World
from storage.item_context import item_context
from storage.tables import Item, Page, Post
from storage.visibility import Viewer
from tests.clock import Clock
from tests.monitor.harness import PAGES, make_daemon, settings_for, stored, world_with_pages

CAM, CAM2, AIQ = (p[0] for p in PAGES)
ALICE = ("9001", "Nguyễn Thị Lan")
BINH = ("9002", "Trần Văn Bình")
DAY = timedelta(days=1)


# Meta does not say whether replies and photo comments move updated_time: both ways.
BUMPS = pytest.mark.parametrize("moves", [False, True], ids=["time-stays", "time-moves"])


@pytest.fixture
def world(clock: Clock) -> World:
    w = world_with_pages(clock=clock)
    w.behaviour = Behaviour()
    return w


@pytest.fixture
def sim(world: World) -> Iterator[GraphSimulator]:
    with GraphSimulator(world) as server:
        yield server


def daemon_for(
    sim: GraphSimulator, sessions: sessionmaker[Session], clock: Clock, **poll: Any
) -> Daemon:
    return make_daemon(settings_for(sim.base_url, "unused", **poll), sessions, clock=clock)


def cycle(daemon: Daemon, clock: Clock, minutes: float = 1) -> None:
    clock.advance(minutes=minutes)
    results = daemon.poll_cycle()
    assert all(r.ok for r in results), results


def year_of_posts(world: World, clock: Clock, page_id: str = CAM, per_day: int = 3) -> list[str]:
    """A post every 8 hours over a year, oldest first."""
    return [
        world.add_post(page_id, f"Thông báo số {n}", created_time=clock() - n * DAY / per_day)
        for n in range(365 * per_day, 0, -1)
    ]


@BUMPS
def test_a_reply_on_a_200_day_old_post_is_stored_within_the_hourly_tier(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: Clock, moves: bool
) -> None:
    world.behaviour.reply_bumps_post = moves
    posts = year_of_posts(world, clock)
    old = next(p for p in posts if clock() - world.posts[p].created <= 200 * DAY)
    top = world.add_comment(old, ALICE, "đường vào thôn 5 bao giờ sửa ạ", clock() - 199 * DAY)
    daemon = daemon_for(sim, sessions, clock)
    cycle(daemon, clock)
    assert ("facebook_comment", top) in stored(sessions)
    reply = world.add_comment(top, BINH, "hỏi thêm: thôn 5 vẫn ngập")
    minute = 0
    while minute < 70:
        minute += 5
        cycle(daemon, clock, minutes=5)
        if ("facebook_comment", reply) in stored(sessions):
            break
    assert ("facebook_comment", reply) in stored(sessions)
    assert minute <= 65  # the hourly tier, plus one 5-minute cycle


def test_a_comment_on_a_six_day_old_post_beyond_the_first_feed_page_is_stored_next_cycle(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: Clock
) -> None:
    posts = year_of_posts(world, clock, per_day=8)
    daemon = daemon_for(sim, sessions, clock, feed_page_limit=10)
    cycle(daemon, clock)
    six_days = next(p for p in posts if clock() - world.posts[p].created <= 6 * DAY)
    comment = world.add_comment(six_days, ALICE, "xin lịch tiêm cho trẻ")
    cycle(daemon, clock)
    assert ("facebook_comment", comment) in stored(sessions)


@pytest.mark.parametrize("honours_order", [False, True], ids=["order-ignored", "order-honoured"])
def test_every_comment_of_a_busy_post_is_read_whatever_order_the_stream_comes_in(
    sim: GraphSimulator,
    world: World,
    sessions: sessionmaker[Session],
    clock: Clock,
    honours_order: bool,
) -> None:
    world.behaviour.stream_honours_order = honours_order
    post = world.add_post(CAM, "Lấy ý kiến quy hoạch", created_time=clock() - 3 * DAY)
    for n in range(260):
        when = clock() - 3 * DAY + n * timedelta(minutes=10)
        world.add_comment(post, (str(7000 + n % 40), f"Người {n}"), f"ý kiến {n}", when)
    daemon = daemon_for(sim, sessions, clock, comments_page_limit=100)
    cycle(daemon, clock)
    for n in range(130):
        parent = world.comment_ids(post)[n]
        world.add_comment(parent if n % 2 else post, ALICE, f"ý kiến thêm {n}")
    cycle(daemon, clock)
    assert stored(sessions) == world.citizen_items()


def test_a_thread_deeper_than_meta_lets_a_cursor_go_is_read_to_the_end(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: Clock
) -> None:
    post = world.add_post(CAM, "Bình chọn công trình", created_time=clock() - 2 * DAY)
    for n in range(450):
        when = clock() - 2 * DAY + n * timedelta(minutes=5)
        world.add_comment(post, (str(6000 + n), f"Người {n}"), f"bình chọn {n}", when)
    world.set_cursor_limit(post, 150)  # "The After Cursor specified exceeds the max limit"
    daemon = daemon_for(sim, sessions, clock, comments_page_limit=50)
    cycle(daemon, clock)
    assert stored(sessions) == world.citizen_items()


@BUMPS
def test_comments_on_album_photos_are_stored_and_shown_with_the_album_post(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: Clock, moves: bool
) -> None:
    world.behaviour.photo_comment_bumps_album = moves
    year_of_posts(world, clock, per_day=1)
    fresh = world.add_album_post(CAM, "Ảnh lễ khánh thành cầu", photos=3)
    old = world.add_album_post(CAM, "Ảnh ngày hội", photos=2, created_time=clock() - 100 * DAY)
    first = world.add_comment(world.photo_ids(old)[1], ALICE, "ảnh này chụp ở đâu ạ")
    daemon = daemon_for(sim, sessions, clock)
    cycle(daemon, clock)
    later = [
        world.add_comment(world.photo_ids(fresh)[0], BINH, "cầu đẹp quá"),
        world.add_comment(world.photo_ids(old)[0], BINH, "cho xin ảnh gốc"),
        world.add_comment(first, BINH, "ở nhà văn hoá thôn 2"),
    ]
    cycle(daemon, clock, minutes=61)
    assert {("facebook_comment", c) for c in [first, *later]} <= stored(sessions)
    with sessions.begin() as s:
        item = s.scalars(select(Item).where(Item.external_id == later[1])).one()
        context = item_context(s, item, Viewer(user_id=0, role="admin", unit_ids=None))
        photo = s.get(Post, item.thread_id)
    assert photo is not None and photo.kind == "photo" and photo.parent_post_id == old
    assert context.post is not None and context.post.id == old
    assert context.post.message == "Ảnh ngày hội"


def test_comments_on_reels_new_and_old_are_stored(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: Clock
) -> None:
    reels = [world.add_reel(CAM, f"Reel {n}", clock() - n * 9 * DAY) for n in range(30)]
    world.add_comment(reels[-1], ALICE, "reel cũ mà hay", clock() - 200 * DAY)
    daemon = daemon_for(sim, sessions, clock)
    cycle(daemon, clock)
    assert stored(sessions) == world.citizen_items()
    fresh = world.add_reel(CAM, "Reel hôm nay")
    world.add_comment(fresh, BINH, "xem ở đâu ạ")
    world.add_comment(reels[25], ALICE, "cho hỏi địa điểm quay")
    cycle(daemon, clock, minutes=61)
    assert stored(sessions) == world.citizen_items()
    with sessions.begin() as s:
        kinds = set(s.scalars(select(Post.kind).where(Post.page_id == CAM)))
    assert "reel" in kinds


@pytest.mark.parametrize("fails_request", [True, False], ids=["read-fails", "id-left-out"])
def test_a_deleted_post_neither_blocks_the_checks_of_the_others_nor_is_checked_for_ever(
    sim: GraphSimulator,
    world: World,
    sessions: sessionmaker[Session],
    clock: Clock,
    fails_request: bool,
) -> None:
    world.behaviour.missing_id_fails_request = fails_request
    posts = year_of_posts(world, clock, per_day=1)
    gone, other = posts[100], posts[101]
    daemon = daemon_for(sim, sessions, clock)
    cycle(daemon, clock)
    world.delete_post(gone)
    comment = world.add_comment(other, ALICE, "bao giờ có kết quả ạ")
    cycle(daemon, clock, minutes=61)
    assert ("facebook_comment", comment) in stored(sessions)
    cycle(daemon, clock, minutes=61)
    with sessions.begin() as s:
        row = s.get(Post, gone)
        assert row is not None and row.gone_at is not None


def test_a_first_poll_walks_the_whole_year_and_not_further(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: Clock
) -> None:
    posts = year_of_posts(world, clock)
    too_old = world.add_post(CAM, "Bài năm ngoái", created_time=clock() - 400 * DAY)
    comments = [world.add_comment(p, ALICE, "hỏi") for p in (posts[0], posts[500], too_old)]
    daemon = daemon_for(sim, sessions, clock)
    cycle(daemon, clock)
    assert {("facebook_comment", c) for c in comments[:2]} <= stored(sessions)
    assert ("facebook_comment", comments[2]) not in stored(sessions)
    with sessions.begin() as s:
        page = s.get(Page, CAM)
        assert page is not None and page.feed_gaps == "[]"
        assert s.get(Post, too_old) is None


def test_a_post_that_appears_late_in_a_range_already_listed_is_found_by_the_sweep(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: Clock
) -> None:
    """A visitor's post approved days after it was written sits below posts already listed."""
    for n in range(60):
        world.add_post(CAM, f"Tin {n}", created_time=clock() - n * timedelta(hours=3))
    daemon = daemon_for(sim, sessions, clock, sweep_interval_minutes=60)
    cycle(daemon, clock)
    late = world.add_post(CAM, "Đường ngõ 7 ngập", BINH, clock() - 4 * DAY)
    comment = world.add_comment(late, ALICE, "nhà tôi cũng bị")
    cycle(daemon, clock)
    assert ("facebook_post", late) not in stored(sessions)  # below the first feed page
    cycle(daemon, clock, minutes=60)
    assert {("facebook_post", late), ("facebook_comment", comment)} <= stored(sessions)
