"""Everything an officer needs beside an item: the post or parent comment, the rest of the
thread or Messenger conversation, earlier texts, replies, notes, duplicates and the audit trail.

Other items appear as ``ItemCard``s, so a confidential neighbour keeps its sender masked, and
every message of a shielded Messenger conversation (storage.visibility) too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

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
from storage.visibility import ItemCard, Viewer, card, is_shielded, shielded_conversations

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
class NoteView:
    note: Note
    author: str


@dataclass(frozen=True)
class AuditView:
    entry: AuditEntry
    user: str | None  # None: the system


@dataclass(frozen=True)
class ItemContext:
    post: PostView | None
    parent: ItemCard | None
    thread: list[ItemCard]
    conversation: Conversation | None
    versions: list[ItemVersion]
    replies: list[Reply]
    notes: list[NoteView]
    audit: list[AuditView]
    duplicate_of: ItemCard | None
    duplicates: list[ItemCard]


def item_context(session: Session, item: Item, viewer: Viewer) -> ItemContext:
    original = session.get(Item, item.duplicate_of_id) if item.duplicate_of_id else None
    duplicates = session.scalars(
        select(Item).where(Item.duplicate_of_id == item.id).order_by(Item.id)
    )
    messenger = item.source == "facebook_message" and item.thread_id
    notes, audit = _notes_and_audit(session, item.id)
    return ItemContext(
        post=_post(session, item, viewer),
        parent=_parent(session, item, viewer),
        thread=_thread(session, item, viewer),
        conversation=session.get(Conversation, item.thread_id) if messenger else None,
        versions=list(
            session.scalars(
                select(ItemVersion)
                .where(ItemVersion.item_id == item.id)
                .order_by(ItemVersion.replaced_at, ItemVersion.id)
            )
        ),
        replies=list(
            session.scalars(select(Reply).where(Reply.item_id == item.id).order_by(Reply.id))
        ),
        notes=notes,
        audit=audit,
        duplicate_of=card(original, viewer) if original is not None else None,
        duplicates=[card(d, viewer) for d in duplicates],
    )


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


def _thread(session: Session, item: Item, viewer: Viewer) -> list[ItemCard]:
    if not item.thread_id:
        return []
    others = list(
        session.scalars(
            select(Item)
            .where(Item.thread_id == item.thread_id, Item.id != item.id)
            .order_by(Item.created_time, Item.id)
            .limit(THREAD_LIMIT)
        )
    )
    shielded = shielded_conversations(session, [item, *others])
    return [card(o, viewer, shielded=is_shielded(o, shielded)) for o in others]


def _post(session: Session, item: Item, viewer: Viewer) -> PostView | None:
    if item.source != "facebook_comment" or not item.thread_id:
        return None
    post = session.get(Post, item.thread_id)
    if post is None:
        return None
    author = post.author_name
    permalink = post.permalink
    if not post.by_page:
        # A visitor's post is also an item: show its author the way that item shows it.
        as_item = session.scalar(
            select(Item).where(Item.source == "facebook_post", Item.external_id == post.id)
        )
        if as_item is not None:
            shown = card(as_item, viewer)
            author, permalink = shown.author_name, shown.permalink
    return PostView(post.id, post.message, author, post.by_page, permalink, post.created_time)


def _parent(session: Session, item: Item, viewer: Viewer) -> ItemCard | None:
    if item.source != "facebook_comment" or not item.parent_id or item.parent_id == item.thread_id:
        return None
    parent = session.scalar(
        select(Item).where(Item.source == "facebook_comment", Item.external_id == item.parent_id)
    )
    return card(parent, viewer) if parent is not None else None


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
