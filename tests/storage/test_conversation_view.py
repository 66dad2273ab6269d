"""storage.conversation_view: who sits where in the bubbles and in the nested thread."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage.conversation_view import ThreadNode, conversation_view
from storage.ingest import ingest
from storage.item_card import ItemCard
from storage.item_context import THREAD_LIMIT, item_context
from storage.records import ItemRecord
from storage.tables import Item, User
from storage.visibility import viewer_for
from tests.storage.queue_world import NOW, populate

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def row(n: int, source: str, parent: str | None, *, by_page: bool = False) -> Item:
    thread = "t_1" if source == "facebook_message" else "p1"
    return Item(
        id=n,
        source=source,
        external_id=f"c{n}",
        thread_id=thread,
        parent_id=parent or thread,
        by_page=by_page,
        created_time=T0 + timedelta(minutes=n),
    )


def ids(nodes: list[ThreadNode]) -> list[object]:
    return [(n.card, ids(n.replies)) if n.replies else n.card for n in nodes]


def by_id(item: Item) -> ItemCard:
    return item.id  # type: ignore[return-value]


def test_messenger_messages_become_bubbles_in_time_order_with_the_current_one_marked() -> None:
    citizen = [row(1, "facebook_message", None), row(3, "facebook_message", None)]
    page = row(2, "facebook_message", None, by_page=True)
    view = conversation_view(citizen[1], [page, citizen[0]], by_id)
    assert view is not None and view.kind == "messenger"
    bubbles: list[object] = [(b.card, b.current) for b in view.bubbles]
    assert bubbles == [(1, False), (2, False), (3, True)]


def test_comments_nest_under_their_parent_and_an_unknown_parent_puts_one_at_the_top() -> None:
    top = row(1, "facebook_comment", None)
    reply = row(2, "facebook_comment", "c1")
    page_reply = row(3, "facebook_comment", "c1", by_page=True)
    orphan = row(4, "facebook_comment", "c99")  # its parent was never stored
    view = conversation_view(reply, [top, page_reply, orphan], by_id)
    assert view is not None and view.kind == "comments"
    assert ids(view.comments) == [(1, [2, 3]), 4]
    assert view.comments[0].replies[0].current


def test_parents_pointing_at_each_other_still_show_every_comment_once() -> None:
    a = row(1, "facebook_comment", "c2")
    b = row(2, "facebook_comment", "c1")
    view = conversation_view(a, [b], by_id)
    assert view is not None
    shown_ids: list[object] = [n.card for n in view.comments]
    assert sorted(shown_ids, key=str) == [1, 2]


def test_a_long_conversation_shows_the_messages_around_the_item_and_says_it_is_cut(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        people = populate(session)
        records = [
            ItemRecord(
                source="facebook_message",
                external_id=f"m_{n}",
                unit_id="a",
                thread_id="t_long",
                parent_id="t_long",
                author_id="u1",
                author_name="Người dân",
                text=f"Tin số {n}",
                created_time=NOW - timedelta(days=1) + timedelta(minutes=n),
            )
            for n in range(THREAD_LIMIT + 50)
        ]
        ingest(session, records, now=NOW)
        item = session.scalars(select(Item).where(Item.external_id == "m_240")).one()
        user = session.get(User, people.leader_a)
        assert user is not None
        ctx = item_context(session, item, viewer_for(session, user))
    assert ctx.view is not None and ctx.view.truncated
    texts = [b.card.text for b in ctx.view.bubbles]
    assert len(texts) == THREAD_LIMIT + 1
    assert texts[-11:-8] == ["Tin số 239", "Tin số 240", "Tin số 241"]
    assert [b.card.text for b in ctx.view.bubbles if b.current] == ["Tin số 240"]
