"""The item page draws the conversation: Messenger as bubbles, comments as nested replies,
every bubble and reply masked for whoever may not know a denouncer, every look audited."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from storage.ingest import ingest
from storage.tables import AuditEntry
from tests.review.personas import Visitor, World, make_policy
from tests.review.test_identity_pages import MESSENGER, Cases, build, leaked, record

SignIn = Callable[[str], Visitor]
PAGE = {"author_id": "page_a", "author_name": "UBND xã A", "by_page": True, "permalink": None}
_BUBBLE = re.compile(r'<li class="bubble (bubble-\w+)[^"]*"[^>]*data-side="(\w+)"')


def _with_page_replies(world: World) -> Cases:
    """The identity world, plus the page's message in Mai's conversation and its reply under
    Hùng's denunciation, as the daemon stores them."""
    cases = build(world)
    later = world.now() - timedelta(minutes=30)
    messenger = {"source": "facebook_message", "thread_id": "t_1", "parent_id": "t_1"}
    with world.sessions.begin() as session:
        ingest(
            session,
            [
                record(
                    6,
                    "Xã đã nhận được tin, sẽ xác minh ạ.",
                    later,
                    external_id="m_3",
                    **messenger,
                    **PAGE,
                ),
                record(7, "Xã đã tiếp nhận, sẽ liên hệ riêng.", later, parent_id="p1_1", **PAGE),
            ],
            now=world.now(),
            policy=make_policy(),
        )
    return cases


def _bubbles(page: str) -> list[tuple[str, str]]:
    return _BUBBLE.findall(page)


def test_a_messenger_item_shows_both_sides_as_bubbles_with_the_current_one_marked(
    world: World, signed_in: SignIn
) -> None:
    cases = _with_page_replies(world)
    page = signed_in("leader.a").text(f"/items/{cases.greeting}")
    assert _bubbles(page) == [
        ("bubble-citizen", "citizen"),
        ("bubble-citizen", "citizen"),
        ("bubble-page", "page"),
    ]
    assert page.count('aria-current="true"') == 1
    current = page[page.index('aria-current="true"') :]
    assert "Chào xã" in current[: current.index("</li>")]
    assert "Xã đã nhận được tin" in page and "Trang trả lời" in page
    assert MESSENGER in leaked(page)  # the leader is entitled


def test_someone_not_entitled_sees_every_bubble_of_a_denouncers_conversation_masked(
    world: World, signed_in: SignIn
) -> None:
    cases = _with_page_replies(world)
    page = signed_in("officer.a2").text(f"/items/{cases.greeting}")
    assert len(_bubbles(page)) == 3
    assert leaked(page) == set()
    assert page.count("Thông tin người gửi được bảo mật") >= 2


def test_each_shielded_bubble_the_leader_sees_is_audited(world: World, signed_in: SignIn) -> None:
    cases = _with_page_replies(world)
    signed_in("leader.a").text(f"/items/{cases.greeting}")
    with world.sessions.begin() as session:
        query = select(AuditEntry.action, AuditEntry.item_id).where(
            AuditEntry.user_id == world.people.leader_a
        )
        seen = {(action, item_id) for action, item_id in session.execute(query)}
    assert ("view_confidential", cases.greeting) in seen
    assert ("view_confidential_listed", cases.message) in seen


def test_a_comment_shows_its_thread_nested_with_the_pages_reply_marked_and_the_denouncer_masked(
    world: World, signed_in: SignIn
) -> None:
    cases = _with_page_replies(world)
    page = signed_in("officer.a2").text(f"/items/{cases.own_reply}")
    tree = page[page.index('<ol class="comment-tree"') :]
    tree = tree[: tree.index("</section>")]
    denunciation = tree[: tree.index('<ol class="comment-replies"')]
    replies = tree[tree.index('<ol class="comment-replies"') :]
    assert "Thông tin người gửi được bảo mật" in denunciation  # post → comment …
    assert 'aria-current="true"' in replies  # … → its replies, this item among them
    assert '<li class="comment by-page">' in replies and "sẽ liên hệ riêng" in replies
    assert leaked(page) == set()
