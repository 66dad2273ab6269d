"""Everything an officer needs beside an item: the post or parent comment, the rest of the
thread or Messenger conversation, earlier texts, replies, notes, duplicates and the audit trail.

The item itself (``shown``), its earlier texts and every neighbour pass through the identity
policy (storage.visibility) with one shield for them all: a denouncer's name, phone and link
show only to those entitled, wherever in the thread they appear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from storage.conversation_view import ConversationView, conversation_view
from storage.page_answers import direct_reply_ids
from storage.tables import (
    AuditEntry,
    Conversation,
    Item,
    ItemVersion,
    Note,
    Post,
    Reply,
    User,
)
from storage.visibility import (
    MASK,
    ItemCard,
    Shield,
    Viewer,
    card,
    may_see_identity,
    shield_for,
    shown_text,
)

THREAD_LIMIT: Final = 200
AUDIT_LIMIT: Final = 300


@dataclass(frozen=True)
class PostView:
    id: str
    message: str | None
    author_name: str | None
    by_page: bool
    permalink: str | None
    created_time: datetime


@dataclass(frozen=True)
class VersionView:
    """An earlier text of the item, masked like the item."""

    text: str
    replaced_at: datetime


@dataclass(frozen=True)
class NoteView:
    note: Note
    author: str


@dataclass(frozen=True)
class AuditView:
    entry: AuditEntry
    user: str | None  # None: the system


@dataclass(frozen=True)
class ItemContext:
    shown: ItemCard  # the item as this viewer may see it
    post: PostView | None
    parent: ItemCard | None
    thread: list[ItemCard]
    conversation: Conversation | None
    versions: list[VersionView]
    replies: list[Reply]
    notes: list[NoteView]
    audit: list[AuditView]
    duplicate_of: ItemCard | None
    duplicates: list[ItemCard]
    # The thread as chat bubbles or nested replies, from the same masked cards as ``thread``.
    view: ConversationView | None = None
    # Replies the page made on Facebook itself (storage.page_answers), shown as the page's.
    direct_replies: frozenset[int] = frozenset()

    def neighbours(self) -> list[ItemCard]:
        """The other items the page shows (whose shown senders the web audits)."""
        return [c for c in (self.parent, *self.thread, self.duplicate_of, *self.duplicates) if c]


def item_context(session: Session, item: Item, viewer: Viewer) -> ItemContext:
    original = session.get(Item, item.duplicate_of_id) if item.duplicate_of_id else None
    duplicates = list(
        session.scalars(select(Item).where(Item.duplicate_of_id == item.id).order_by(Item.id))
    )
    (thread, cut), parent = _thread(session, item), _parent(session, item)
    others = [o for o in (*thread, parent, *duplicates, original) if o is not None]
    shield = shield_for(session, [item, *others])

    def show(other: Item) -> ItemCard:
        return card(other, viewer, shielded=shield.guard(other))

    messenger = item.source == "facebook_message" and item.thread_id
    notes, audit = _notes_and_audit(session, item.id)
    cards = {o.id: show(o) for o in thread}
    cards[item.id] = show(item)
    return ItemContext(
        shown=cards[item.id],
        post=_post(session, item, viewer, shield),
        parent=show(parent) if parent is not None else None,
        thread=[cards[o.id] for o in thread],
        conversation=session.get(Conversation, item.thread_id) if messenger else None,
        versions=_versions(session, item, viewer, shield),
        replies=list(
            session.scalars(select(Reply).where(Reply.item_id == item.id).order_by(Reply.id))
        ),
        notes=notes,
        audit=audit,
        duplicate_of=show(original) if original is not None else None,
        duplicates=[show(d) for d in duplicates],
        view=conversation_view(item, thread, lambda o: cards[o.id], truncated=cut),
        direct_replies=frozenset(direct_reply_ids(session, item.id)),
    )


def _versions(session: Session, item: Item, viewer: Viewer, shield: Shield) -> list[VersionView]:
    guard = shield.guard(item)
    known = may_see_identity(viewer, item, shielded=guard)
    rows = session.scalars(
        select(ItemVersion)
        .where(ItemVersion.item_id == item.id)
        .order_by(ItemVersion.replaced_at, ItemVersion.id)
    )
    return [
        VersionView(shown_text(v.text, item, guard, viewer, known=known), v.replaced_at)
        for v in rows
    ]


def _notes_and_audit(session: Session, item_id: int) -> tuple[list[NoteView], list[AuditView]]:
    names = _user_names(session, item_id)
    notes = session.scalars(
        select(Note).where(Note.item_id == item_id).order_by(Note.created_at, Note.id)
    )
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.item_id == item_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(AUDIT_LIMIT)
    )
    return (
        [NoteView(n, names.get(n.user_id, "?")) for n in notes],
        [AuditView(e, names.get(e.user_id) if e.user_id is not None else None) for e in entries],
    )


def _thread(session: Session, item: Item) -> tuple[list[Item], bool]:
    """The rest of the thread, at most THREAD_LIMIT items around the item's own time (half
    before it, half after, the unused share of one side going to the other), so a long
    conversation still shows what surrounds the item; and whether some were left out."""
    if not item.thread_id:
        return [], False
    others = and_(Item.thread_id == item.thread_id, Item.id != item.id)
    earlier = or_(
        Item.created_time < item.created_time,
        and_(Item.created_time == item.created_time, Item.id < item.id),
    )
    newest_first = (Item.created_time.desc(), Item.id.desc())
    query = select(Item).where(others).limit(THREAD_LIMIT + 1)
    before = list(session.scalars(query.where(earlier).order_by(*newest_first)))
    after = list(session.scalars(query.where(~earlier).order_by(Item.created_time, Item.id)))
    keep_after = min(len(after), max(THREAD_LIMIT // 2, THREAD_LIMIT - len(before)))
    keep_before = min(len(before), THREAD_LIMIT - keep_after)
    cut = keep_before < len(before) or keep_after < len(after)
    return [*reversed(before[:keep_before]), *after[:keep_after]], cut


def _post(session: Session, item: Item, viewer: Viewer, shield: Shield) -> PostView | None:
    if item.source != "facebook_comment" or not item.thread_id:
        return None
    post = session.get(Post, item.thread_id)
    if post is not None and post.parent_post_id:
        # A comment on one photo of an album post: the post it belongs to is the album.
        post = session.get(Post, post.parent_post_id) or post
    if post is None:
        return None
    author, permalink, message = post.author_name, post.permalink, post.message
    guard = shield.guard(item)
    if message and guard is not None:
        message = shown_text(message, item, guard, viewer, known=True)
    as_item = session.scalar(
        select(Item).where(Item.source == "facebook_post", Item.external_id == post.id)
    )
    if as_item is not None and not post.by_page:
        # A visitor's post is also an item: show it the way that item shows it.
        shown = card(as_item, viewer, shielded=shield.guard(as_item))
        author, permalink, message = shown.author_name, shown.permalink, shown.text
    elif not post.by_page and guard and any(d.author_id == post.author_id for d in guard.nearby):
        author, permalink = MASK, None  # a denouncer's post we never stored as an item
    return PostView(post.id, message, author, post.by_page, permalink, post.created_time)


def _parent(session: Session, item: Item) -> Item | None:
    if item.source != "facebook_comment" or not item.parent_id or item.parent_id == item.thread_id:
        return None
    return session.scalar(
        select(Item).where(Item.source == "facebook_comment", Item.external_id == item.parent_id)
    )


def _user_names(session: Session, item_id: int) -> dict[int, str]:
    """Display names of everyone who wrote a note or an audit entry on the item."""
    ids = set(session.scalars(select(Note.user_id).where(Note.item_id == item_id)))
    ids |= {
        uid
        for uid in session.scalars(
            select(AuditEntry.user_id).where(AuditEntry.item_id == item_id).distinct()
        )
        if uid is not None
    }
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {uid: name for uid, name in rows}
