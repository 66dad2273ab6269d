"""Seeded history, live traffic, bulk fill and the ground truth the world keeps."""

from __future__ import annotations

import random
import re
import time
from datetime import timedelta

from simulator import GraphSimulator, World
from simulator.phrasebook import Phrasebook, strip_diacritics
from simulator.records import PhotoRecord, ReelRecord
from simulator.traffic import Traffic, bulk_comments, seed_history, seed_world
from tests.clock import Clock
from tests.simulator.support import AN, BINH, CAM_GIANG, DONG_HOA, GraphClient, read_everything

PAGES = [CAM_GIANG, DONG_HOA]
EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")


def _fresh_world(clock: Clock, seed: int = 1) -> World:
    world = World(clock=clock, seed=seed)
    seed_world(world, PAGES, random.Random(seed), posts_per_page=10, days=60)
    return world


def test_phrasebook_offers_at_least_150_varied_citizen_texts() -> None:
    book = Phrasebook.load()
    texts = book.all_citizen_texts()
    assert len(texts) >= 150
    assert {"urgent", "denunciation", "complaint", "question", "praise", "spam"} <= set(
        book.citizen
    )
    plain = [t for t in texts if strip_diacritics(t) == t and len(t) > 30]
    assert len(plain) >= 10, "some texts are typed without diacritics"
    assert sum(bool(EMOJI.search(t)) for t in texts) >= 10
    assert any("tóe lửa" in t for t in book.citizen["urgent"])


def test_strip_diacritics_handles_d_with_stroke() -> None:
    assert strip_diacritics("Đường điện đứt") == "Duong dien dut"


def test_seed_world_builds_a_varied_history_within_the_requested_days(
    sim_clock: Clock,
) -> None:
    world = _fresh_world(sim_clock)
    for page_id, _, _ in PAGES:
        posts = [world.posts[p] for p in world.post_ids(page_id)]
        assert len(posts) == 10
        assert any(not p.by_page for p in posts), "visitor posts"
        assert any(p.message is None and p.attachment for p in posts), "photo-only posts"
        assert all(sim_clock.now - timedelta(days=60) <= p.created <= sim_clock.now for p in posts)
        assert world.conversation_ids(page_id)
    comments = list(world.comments.values())
    assert any(c.is_reply and world.comments[c.parent_id].is_reply for c in comments)
    assert any(c.by_page for c in comments)
    assert all(c.created >= world.posts[c.post_id].created for c in comments)
    assert all(c.created <= sim_clock.now for c in comments)


def test_seed_world_is_reproducible_for_a_seed(sim_clock: Clock) -> None:
    first, again, other = (
        _fresh_world(sim_clock),
        _fresh_world(sim_clock),
        _fresh_world(sim_clock, 2),
    )
    messages = [[c.message for c in w.comments.values()] for w in (first, again, other)]
    assert messages[0] == messages[1]
    assert messages[0] != messages[2]
    assert first.citizen_items() == again.citizen_items()


def test_every_citizen_item_of_a_busy_world_is_readable_over_http(sim_clock: Clock) -> None:
    world = _fresh_world(sim_clock)
    traffic = Traffic(world, random.Random(11))
    for _ in range(300):
        sim_clock.advance(minutes=2)
        traffic.step()
    # The walk reads every thread at once; the per-second limit has its own tests.
    world.set_conversation_rate(None)
    with GraphSimulator(world) as sim:
        for page_id, _, token in PAGES:
            seen = read_everything(GraphClient(sim.base_url, token), page_id)
            assert seen == world.citizen_items(page_id)
    kinds = {type(world.posts[world.comments[c].post_id]) for _, c in _comments(world)}
    assert {ReelRecord, PhotoRecord} <= kinds, "the walk covered reels and album photos"


def _comments(world: World) -> set[tuple[str, str]]:
    return {key for key in world.citizen_items() if key[0] == "facebook_comment"}


def test_traffic_steps_cover_every_kind_of_event(sim_clock: Clock) -> None:
    world = _fresh_world(sim_clock)
    traffic = Traffic(world, random.Random(5))
    descriptions = []
    for _ in range(600):
        sim_clock.advance(minutes=3)
        descriptions.append(traffic.step())
    joined = "\n".join(descriptions)
    for marker in (
        "Bình luận mới",
        "Bình luận trên bài cũ",
        "Trả lời bình luận",
        "Trả lời nhiều tầng",
        "Trả lời trên bài cũ",
        "Bình luận trên reel",
        "Bình luận trên ảnh album",
        "Bài đăng của người dân",
        "Bài chỉ có ảnh",
        "Trang đăng album ảnh",
        "Trang đăng reel mới",
        "Tin nhắn của",
        "Tin nhắn không có chữ",
        "Tin nhắn vào mục",
        "Loạt 30 tin nhắn",
        "Sửa bình luận",
        "Xóa bình luận",
        "Trang trả lời",
        "Trang đăng thông báo",
    ):
        assert marker in joined, marker
    assert any(len(c.message_ids) >= 30 for c in world.conversations.values())
    assert {c.folder for c in world.conversations.values()} >= {"inbox", "other"}


def test_live_comments_reach_posts_reels_and_photos_of_any_age_up_to_a_year(
    sim_clock: Clock,
) -> None:
    world = World(clock=sim_clock, seed=4)
    world.add_page(*CAM_GIANG)
    seed_history(world, CAM_GIANG[0], rng=random.Random(4), conversations=0)
    started = sim_clock.now
    traffic = Traffic(world, random.Random(8))
    for _ in range(800):
        sim_clock.advance(minutes=1)
        traffic.step()
    new = [c for c in world.comments.values() if c.created > started and not c.by_page]
    targets = [world.posts[c.post_id] for c in new]
    ages = [(started - target.created).days for target in targets]
    assert max(ages) > 300
    assert max(ages) <= 365
    assert sum(age > 30 for age in ages) >= 20, "not only the newest posts get comments"
    assert any(isinstance(t, ReelRecord) for t in targets)
    assert any(isinstance(t, PhotoRecord) for t in targets)
    assert any(c.is_reply and (started - world.posts[c.post_id].created).days > 30 for c in new)


def test_seed_history_builds_a_year_of_a_busy_page(sim_clock: Clock) -> None:
    world = World(clock=sim_clock, seed=2)
    world.add_page(*CAM_GIANG)
    history = seed_history(world, CAM_GIANG[0], rng=random.Random(2))
    page = CAM_GIANG[0]
    posts = [world.posts[p] for p in world.post_ids(page)]
    assert len(posts) == history.posts >= 1_000
    assert history.reels == len(world.reel_ids(page)) > 10
    albums = [p for p in posts if p.photo_ids]
    assert len(albums) == history.albums > 30
    assert any(not p.by_page for p in posts), "visitor posts"
    year_ago = sim_clock.now - timedelta(days=365)
    assert min(p.created for p in posts) < year_ago + timedelta(days=7)
    assert all(year_ago <= p.created <= sim_clock.now for p in posts)
    comments = list(world.comments.values())
    assert len(comments) == history.comments > 2_000
    assert all(world.posts[c.post_id].created <= c.created <= sim_clock.now for c in comments)
    recent_on_old = [
        c
        for c in comments
        if c.created > sim_clock.now - timedelta(days=30)
        and world.posts[c.post_id].created < sim_clock.now - timedelta(days=180)
    ]
    assert len(recent_on_old) > 20, "comments keep coming on posts of every age"
    assert any(c.is_reply for c in recent_on_old)
    on_photos = [c for c in comments if isinstance(world.posts[c.post_id], PhotoRecord)]
    on_reels = [c for c in comments if isinstance(world.posts[c.post_id], ReelRecord)]
    assert on_photos and on_reels
    assert len(world.conversation_ids(page)) == history.conversations == 20


def test_three_pages_of_1100_posts_build_in_well_under_a_few_seconds(sim_clock: Clock) -> None:
    world = World(clock=sim_clock, seed=3)
    started = time.perf_counter()
    for spec in (CAM_GIANG, DONG_HOA, ("100000000000003", "Xã Ái Quốc", "tok-aiquoc")):
        world.add_page(*spec)
        seed_history(world, spec[0], posts_per_day=1100 / 365, rng=random.Random(spec[0]))
    elapsed = time.perf_counter() - started
    assert all(len(world.post_ids(p)) + len(world.reel_ids(p)) == 1_100 for p in world.pages)
    print(f"3 pages x 1,100 posts, {len(world.comments)} comments: {elapsed:.2f} s")
    assert elapsed < 3


def test_ground_truth_drops_deleted_items_but_remembers_them(sim_world: World) -> None:
    page = CAM_GIANG[0]
    post = sim_world.add_post(page, "Thông báo")
    visitor = sim_world.add_post(page, "Phản ánh đường hỏng", author=AN)
    kept = sim_world.add_comment(post, AN, "hỏi")
    gone = sim_world.add_comment(post, BINH, "spam")
    sim_world.add_comment(kept, None, "Dạ")
    thread = sim_world.add_message(page, AN, "alo")
    sim_world.add_message(page, AN, "Chào anh", from_page=True)
    sim_world.delete_comment(gone)
    citizen_message = sim_world.message_ids(thread)[0]
    expected = {
        ("facebook_post", visitor),
        ("facebook_comment", kept),
        ("facebook_message", citizen_message),
    }
    assert sim_world.citizen_items(page) == expected
    assert sim_world.all_items_ever(page) == expected | {("facebook_comment", gone)}
    assert sim_world.citizen_items(DONG_HOA[0]) == set()


def test_bulk_comments_fill_100000_comments_in_a_few_seconds(sim_clock: Clock) -> None:
    world = World(clock=sim_clock)
    world.add_page(*CAM_GIANG)
    started = time.monotonic()
    bulk_comments(world, CAM_GIANG[0], 100_000, random.Random(1))
    elapsed = time.monotonic() - started
    assert len(world.comments) == 100_000
    assert 1_900 <= len(world.post_ids(CAM_GIANG[0])) <= 2_100
    replies = sum(c.is_reply for c in world.comments.values())
    assert 10_000 < replies < 30_000
    assert elapsed < 10
