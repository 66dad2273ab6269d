"""Seeded history, live traffic, bulk fill and the ground truth the world keeps."""

from __future__ import annotations

import random
import re
import time
from datetime import timedelta

from simulator import World
from simulator.phrasebook import Phrasebook, strip_diacritics
from simulator.traffic import Traffic, bulk_comments, seed_world
from tests.clock import Clock
from tests.simulator.support import AN, BINH, CAM_GIANG, DONG_HOA, GraphClient, walk

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


def test_seeded_world_is_fully_readable_over_http(sim_clock: Clock) -> None:
    from simulator import GraphSimulator

    world = _fresh_world(sim_clock)
    with GraphSimulator(world) as sim:
        graph = GraphClient(sim.base_url, CAM_GIANG[2])
        posts = walk(graph, graph.get(f"{CAM_GIANG[0]}/feed", fields="id", limit=3))
        seen: set[tuple[str, str]] = set()
        for post in posts:
            response = graph.get(f"{post['id']}/comments", filter="stream", fields="id,from")
            for comment in walk(graph, response):
                if comment["from"]["id"] != CAM_GIANG[0]:
                    seen.add(("facebook_comment", comment["id"]))
    truth = {k for k in world.citizen_items(CAM_GIANG[0]) if k[0] == "facebook_comment"}
    assert seen == truth


def test_traffic_steps_cover_every_kind_of_event(sim_clock: Clock) -> None:
    world = _fresh_world(sim_clock)
    traffic = Traffic(world, random.Random(5))
    descriptions = []
    for _ in range(400):
        sim_clock.advance(minutes=3)
        descriptions.append(traffic.step())
    joined = "\n".join(descriptions)
    for marker in (
        "Bình luận mới",
        "Bình luận trên bài cũ",
        "Trả lời bình luận",
        "Trả lời nhiều tầng",
        "Bài đăng của người dân",
        "Bài chỉ có ảnh",
        "Tin nhắn của",
        "Loạt 30 tin nhắn",
        "Sửa bình luận",
        "Xóa bình luận",
        "Trang trả lời",
        "Trang đăng thông báo",
    ):
        assert marker in joined, marker
    assert any(len(c.message_ids) >= 30 for c in world.conversations.values())


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
