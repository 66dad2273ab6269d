"""What Messenger and a page without Advanced Access send, as officers read it.

A message may carry a link, a sticker (a URL before 2026-08-30, an attachment of type sticker
after), a reply to the page's story, or content the API cannot show: the item says so and is
never empty. Threads sit in every folder (inbox, other, page_done, spam). A comment without
``from`` is a citizen whose identity Graph withheld, never the page; page health counts them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.normalize import object_info
from simulator import GraphSimulator, World
from storage.health import page_health
from storage.tables import Item
from tests.clock import Clock
from tests.monitor.harness import PAGES, make_daemon, settings_for, stored

CAM, CAM2, AIQ = (p[0] for p in PAGES)
ALICE = ("9001", "Nguyễn Thị Lan")
BINH = ("9002", "Trần Văn Bình")
BEFORE = datetime(2026, 8, 20, 9, 0, tzinfo=UTC)  # stickers were a URL then
AFTER = datetime(2026, 9, 2, 9, 0, tzinfo=UTC)  # and an attachment of type sticker now


def texts(sessions: sessionmaker[Session]) -> dict[str, tuple[str, str | None]]:
    with sessions.begin() as s:
        rows = s.execute(select(Item.external_id, Item.text, Item.attachments))
        return {external_id: (text, attachments) for external_id, text, attachments in rows}


def test_links_stickers_story_replies_and_hidden_content_never_make_an_empty_item(
    world: World, sessions: sessionmaker[Session]
) -> None:
    clock = Clock(AFTER)
    world.clock = clock
    link = {"link": "https://dichvucong.gov.vn/p/123", "name": "Dịch vụ công"}
    sent = {
        "share": world.add_message(CAM, ALICE, shares=[link], created_time=AFTER),
        "old sticker": world.add_message(CAM, BINH, sticker=True, created_time=BEFORE),
        "new sticker": world.add_message(AIQ, ALICE, sticker=True, created_time=AFTER),
        "story": world.add_message(
            AIQ, BINH, "đẹp quá", story={"url": "https://fb.com/story/1"}, created_time=AFTER
        ),
        "unsupported": world.add_message(CAM2, ALICE, unsupported=True, created_time=AFTER),
    }
    with GraphSimulator(world) as sim:
        daemon = make_daemon(settings_for(sim.base_url, "unused"), sessions, clock=clock)
        assert all(r.ok for r in daemon.poll_cycle())
    assert world.citizen_items() <= stored(sessions)
    read = texts(sessions)
    newest = {kind: world.last_message(thread) for kind, thread in sent.items()}
    shown = {kind: read[m.id] for kind, m in newest.items() if m is not None}
    assert shown["share"][0] == "[Chia sẻ liên kết] Dịch vụ công – https://dichvucong.gov.vn/p/123"
    assert "https://dichvucong.gov.vn/p/123" in (shown["share"][1] or "")
    assert shown["old sticker"][0] == "[Nhãn dán]" and "sticker" in (shown["old sticker"][1] or "")
    assert shown["new sticker"][0] == "[Nhãn dán]" and "sticker" in (shown["new sticker"][1] or "")
    assert shown["story"][0] == "đẹp quá\n[Trả lời tin] https://fb.com/story/1"
    assert shown["unsupported"][0] == "[Nội dung Facebook không hiển thị qua API]"


def test_threads_in_every_folder_are_read_by_the_sweep(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: Clock
) -> None:
    world.add_message(CAM, ALICE, "chào ad")
    spam = world.add_message(CAM, BINH, "xin hỏi thủ tục", folder="spam")
    daemon = make_daemon(settings_for(sim.base_url, "unused"), sessions, clock=clock)
    assert all(r.ok for r in daemon.poll_cycle())
    clock.advance(minutes=1)
    other = world.add_message(CAM, ("9003", "Lê Văn Cường"), "nhờ ad giúp", folder="other")
    world.move_conversation(world.conversation_with(CAM, ALICE[0]) or "", "page_done")
    world.add_message(CAM, ALICE, "ad ơi em hỏi thêm")
    for minutes in (1, 30, 31):  # the sweep comes every conversation_sweep_minutes (60)
        clock.advance(minutes=minutes)
        assert all(r.ok for r in daemon.poll_cycle())
    assert world.citizen_items() <= stored(sessions)
    assert {spam, other} <= {world.conversation_with(CAM, u) for u in ("9002", "9003")}


def test_a_comment_without_a_sender_is_a_citizen_and_counted_for_the_admin(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: Clock
) -> None:
    world.set_from_hidden(CAM)
    post = world.add_post(CAM, "Lịch tiếp công dân")
    hidden = world.add_comment(post, ALICE, "cho hỏi lịch tiếp dân tháng này")
    answer = world.add_comment(hidden, None, "Thứ 5 hằng tuần ạ")
    world.add_comment(world.add_post(AIQ, "Thông báo"), BINH, "cảm ơn")
    daemon = make_daemon(settings_for(sim.base_url, "unused"), sessions, clock=clock)
    assert all(r.ok for r in daemon.poll_cycle())
    with sessions.begin() as s:
        citizen = s.scalars(select(Item).where(Item.external_id == hidden)).one()
        page_reply = s.scalars(select(Item).where(Item.external_id == answer)).one()
        health = {h.id: h for h in page_health(s, clock() - timedelta(hours=1))}
    assert citizen.author_id is None and not citizen.by_page and citizen.status != "not_actionable"
    assert page_reply.by_page
    assert health[CAM].unknown_senders == 1 and health[AIQ].unknown_senders == 0


def test_a_post_without_a_sender_is_a_visitors_never_the_pages() -> None:
    raw = {"id": f"{CAM}_1", "created_time": "2026-03-02T08:00:00+0000", "message": "Đèn hỏng"}
    assert not object_info(raw, page_id=CAM).by_page
    assert object_info({**raw, "from": {"id": CAM, "name": "Xã"}}, page_id=CAM).by_page
