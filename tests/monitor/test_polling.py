"""Polling against the Graph simulator: what lands, what it costs, how failures stay local."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from simulator import GraphSimulator, World
from storage.tables import Item, ItemVersion, Page, RejectedPayload
from tests.monitor.harness import PAGES, make_daemon, settings_for, stored

CAM, CAM2, AIQ = (p[0] for p in PAGES)
ALICE = ("9001", "Nguyễn Thị Lan")
BINH = ("9002", "Trần Văn Bình")


def test_replies_at_any_depth_visitor_posts_and_photo_only_posts_all_land(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: object
) -> None:
    post = world.add_post(CAM, message="Hướng dẫn kích hoạt VNeID mức 2")
    top = world.add_comment(post, author=ALICE, message="cho e hỏi làm ở đâu ạ")
    page_reply = world.add_comment(top, author=None, message="Bạn ra công an xã nhé")
    deep = world.add_comment(page_reply, author=ALICE, message="dạ thứ 7 có làm k ạ")
    world.add_post(AIQ, message="Cột điện nghiêng ở ngõ 5", author=BINH)
    world.add_post(
        AIQ, message=None, author=BINH, attachment={"type": "photo", "url": "https://x/p.jpg"}
    )
    daemon = make_daemon(settings_for(sim.base_url, "unused"), sessions, clock=clock)
    results = daemon.poll_cycle()
    assert all(r.ok for r in results), results
    assert stored(sessions) == world.citizen_items()
    with sessions.begin() as s:
        reply = s.scalar(select(Item).where(Item.external_id == page_reply))
        nested = s.scalar(select(Item).where(Item.external_id == deep))
    assert reply is not None and reply.by_page and reply.status == "not_actionable"
    assert nested is not None and nested.parent_id == page_reply


def test_an_idle_cycle_costs_two_calls_per_page_in_one_http_request(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: object
) -> None:
    for page_id, *_ in PAGES:
        post = world.add_post(page_id, message="Thông báo lịch tiếp công dân")
        world.add_comment(post, author=ALICE, message="cảm ơn xã")
        world.add_message(page_id, user=BINH, message="ad ơi cho hỏi")
    clock.advance(minutes=1)  # type: ignore[attr-defined]
    daemon = make_daemon(settings_for(sim.base_url, "unused"), sessions, clock=clock)
    daemon.poll_cycle()
    sim.stats.reset()
    assert all(r.ok for r in daemon.poll_cycle())
    stats = sim.stats.snapshot()
    assert stats["graph_calls"] == 2 * len(PAGES)
    assert stats["http_requests"] == 1


def test_a_conversation_with_more_than_25_new_messages_is_read_to_the_end(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: object
) -> None:
    world.add_message(CAM, user=BINH, message="chào ad")
    daemon = make_daemon(
        settings_for(sim.base_url, "unused", overlap_minutes=1), sessions, clock=clock
    )
    daemon.poll_cycle()
    for n in range(60):
        clock.advance(minutes=1)  # type: ignore[attr-defined]
        world.add_message(CAM, user=BINH, message=f"tin nhắn số {n}: mất sóng 4G ở thôn {n}")
    clock.advance(minutes=1)  # type: ignore[attr-defined]
    daemon.poll_cycle()
    assert stored(sessions) == world.citizen_items()
    assert len([k for k in stored(sessions) if k[0] == "facebook_message"]) == 61


def test_a_new_comment_on_a_two_month_old_post_is_caught(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: object
) -> None:
    old = world.add_post(
        CAM, message="Kế hoạch chuyển đổi số 2026", created_time=clock() - timedelta(days=60)
    )  # type: ignore[operator]
    for n in range(30):
        world.add_post(
            CAM, message=f"Tin tức số {n}", created_time=clock() - timedelta(days=59 - n)
        )  # type: ignore[operator]
    daemon = make_daemon(settings_for(sim.base_url, "unused"), sessions, clock=clock)
    daemon.poll_cycle()
    clock.advance(hours=1)  # type: ignore[attr-defined]
    late = world.add_comment(old, author=ALICE, message="kế hoạch này đến đâu rồi ạ")
    clock.advance(minutes=1)  # type: ignore[attr-defined]
    daemon.poll_cycle()
    assert ("facebook_comment", late) in stored(sessions)


def test_edits_keep_history_and_deletions_are_confirmed_before_marking(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: object
) -> None:
    post = world.add_post(CAM, message="Góp ý dự thảo")
    edited = world.add_comment(post, author=ALICE, message="đường ngõ 3 hỏng")
    gone = world.add_comment(post, author=BINH, message="cán bộ X đòi tiền")
    settings = settings_for(sim.base_url, "unused", sweep_interval_minutes=30)
    daemon = make_daemon(settings, sessions, clock=clock)
    daemon.poll_cycle()
    world.edit_comment(edited, "đường ngõ 3 hỏng nặng, xe máy ngã liên tục")
    world.delete_comment(gone)
    clock.advance(minutes=31)  # type: ignore[attr-defined]
    daemon.poll_cycle()  # sweep: edit seen, deletion suspected and checked once
    with sessions.begin() as s:
        suspect = s.scalar(select(Item).where(Item.external_id == gone))
        assert suspect is not None and not suspect.deleted and suspect.missing_checks == 1
    clock.advance(minutes=1)  # type: ignore[attr-defined]
    daemon.poll_cycle()  # second "does not exist": now deleted, text kept as evidence
    with sessions.begin() as s:
        deleted = s.scalar(select(Item).where(Item.external_id == gone))
        changed = s.scalar(select(Item).where(Item.external_id == edited))
        versions = s.scalars(select(ItemVersion.text)).all()
    assert deleted is not None and deleted.deleted and deleted.text == "cán bộ X đòi tiền"
    assert changed is not None and changed.edited and "xe máy ngã" in changed.text
    assert versions == ["đường ngõ 3 hỏng"]


def test_a_revoked_token_quarantines_one_page_and_the_others_carry_on(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: object
) -> None:
    for page_id, *_ in PAGES:
        world.add_message(page_id, user=ALICE, message="xin chào")
    daemon = make_daemon(settings_for(sim.base_url, "unused"), sessions, clock=clock)
    daemon.poll_cycle()
    world.revoke_token(CAM)
    for page_id, *_ in PAGES:
        world.add_message(page_id, user=BINH, message="mất điện từ sáng")
    clock.advance(minutes=2)  # type: ignore[attr-defined]
    results = {r.page_id: r for r in daemon.poll_cycle()}
    assert not results[CAM].ok and "Mã truy cập" in results[CAM].reason
    assert results[CAM2].ok and results[AIQ].ok
    assert world.citizen_items() - stored(sessions) == world.citizen_items(CAM) - stored(sessions)
    sim.stats.reset()
    clock.advance(minutes=2)  # type: ignore[attr-defined]
    again = {r.page_id: r for r in daemon.poll_cycle()}
    assert "cách ly" in again[CAM].reason
    assert sim.stats.snapshot()["calls_by_page"].get(CAM, 0) == 0
    with sessions.begin() as s:
        page = s.get(Page, CAM)
        assert page is not None and page.quarantined_at is not None


def test_a_replaced_token_ends_the_quarantine(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: object, db_url: str
) -> None:
    world.revoke_token(CAM)
    world.add_message(CAM, user=ALICE, message="ad ơi")
    daemon = make_daemon(settings_for(sim.base_url, "unused"), sessions, clock=clock)
    assert not {r.page_id: r for r in daemon.poll_cycle()}[CAM].ok
    world.set_token(CAM, "tok-camgiang-new")
    fresh = [(p, n, u, "tok-camgiang-new" if p == CAM else t) for p, n, u, t in PAGES]
    daemon2 = make_daemon(settings_for(sim.base_url, "unused", pages=fresh), sessions, clock=clock)
    assert {r.page_id: r for r in daemon2.poll_cycle()}[CAM].ok
    assert stored(sessions) >= world.citizen_items(CAM)


def test_a_throttled_page_pauses_without_holding_up_the_others(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: object
) -> None:
    daemon = make_daemon(settings_for(sim.base_url, "unused"), sessions, clock=clock)
    sim.faults.set(throttle_pages={AIQ})
    world.add_message(CAM, user=ALICE, message="mất sóng")
    results = {r.page_id: r for r in daemon.poll_cycle()}
    assert results[CAM].ok and not results[AIQ].ok
    assert "giới hạn" in results[AIQ].reason
    sim.faults.clear()
    sim.stats.reset()
    daemon.poll_cycle()  # still inside the pause Meta asked for: no call to that page
    assert sim.stats.snapshot()["calls_by_page"].get(AIQ, 0) == 0
    clock.advance(minutes=10)  # type: ignore[attr-defined]
    assert {r.page_id: r for r in daemon.poll_cycle()}[AIQ].ok


def test_a_malformed_object_is_set_aside_with_its_reason_and_the_rest_is_stored(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: object
) -> None:
    post = world.add_post(CAM, message="Thông báo")
    good = world.add_comment(post, author=ALICE, message="ok ạ")
    bad = world.add_comment(post, author=BINH, message="xin hỏi")
    world.comments[bad].message = 12345  # type: ignore[assignment]  # a broken payload
    daemon = make_daemon(settings_for(sim.base_url, "unused"), sessions, clock=clock)
    daemon.poll_cycle()
    assert ("facebook_comment", good) in stored(sessions)
    with sessions.begin() as s:
        rejects = s.scalars(select(RejectedPayload)).all()
    assert len(rejects) == 1
    assert "message" in rejects[0].reason
    assert bad in rejects[0].raw
