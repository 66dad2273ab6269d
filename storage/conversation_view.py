"""The conversation around an item as the item page draws it: a Messenger conversation as
chat bubbles (the citizen on one side, the page on the other), a comment thread as nested
replies (post → comment → replies).

It arranges cards that storage.item_context already passed through the identity policy
(storage.visibility, one shield for the whole thread): a denouncer's name and words are masked
in every bubble and every reply for whoever is not entitled, and the web audits each shielded
card it shows (ItemContext.neighbours). The page's own comments and messages (``by_page``,
stored outside the queue) are marked as the page's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from storage.item_card import ItemCard
from storage.tables import Item

MESSENGER = "facebook_message"
COMMENT_SOURCES = ("facebook_comment", "facebook_post")
MAX_DEPTH = 8  # Facebook keeps two levels; rows written otherwise never nest deeper than this


@dataclass(frozen=True)
class Bubble:
    """One Messenger message: ``card.by_page`` puts it on the page's side."""

    card: ItemCard
    current: bool


@dataclass(frozen=True)
class ThreadNode:
    """One comment of a thread with the replies under it."""

    card: ItemCard
    current: bool
    replies: list[ThreadNode] = field(default_factory=list)


@dataclass(frozen=True)
class ConversationView:
    kind: str  # "messenger" or "comments"
    bubbles: list[Bubble]
    comments: list[ThreadNode]  # top-level comments of the post, in time order
    truncated: bool  # the thread holds more than the page shows


def conversation_view(
    item: Item,
    others: Sequence[Item],
    show: Callable[[Item], ItemCard],
    *,
    truncated: bool = False,
) -> ConversationView | None:
    """The view of ``item`` and the other items of its thread (``show`` gives their cards)."""
    if not item.thread_id:
        return None
    ordered = sorted([item, *others], key=lambda i: (i.created_time, i.id))
    if item.source == MESSENGER:
        messages = [i for i in ordered if i.source == MESSENGER]
        bubbles = [Bubble(show(i), i.id == item.id) for i in messages]
        return ConversationView("messenger", bubbles, [], truncated)
    if item.source not in COMMENT_SOURCES:
        return None
    comments = [i for i in ordered if i.source == "facebook_comment"]
    if not comments:
        return None
    return ConversationView("comments", [], _tree(item, comments, show), truncated)


def _tree(item: Item, comments: list[Item], show: Callable[[Item], ItemCard]) -> list[ThreadNode]:
    """Comments under their parent; one whose parent is not stored sits at the top level."""
    known = {c.external_id for c in comments}
    children: dict[str, list[Item]] = {}
    top: list[Item] = []
    for c in comments:
        parent = c.parent_id
        if parent and parent != c.thread_id and parent in known and parent != c.external_id:
            children.setdefault(parent, []).append(c)
        else:
            top.append(c)

    reached: set[int] = set()

    def node(c: Item, depth: int, seen: frozenset[str]) -> ThreadNode:
        reached.add(c.id)
        below = [] if depth >= MAX_DEPTH else children.get(c.external_id, [])
        inner = seen | {c.external_id}
        replies = [node(r, depth + 1, inner) for r in below if r.external_id not in inner]
        return ThreadNode(show(c), c.id == item.id, replies)

    nodes = [node(c, 0, frozenset()) for c in top]
    # Rows whose parents point at each other in a loop, or nest too deep, hang from nothing:
    # shown at the top level rather than lost.
    nodes += [ThreadNode(show(c), c.id == item.id) for c in comments if c.id not in reached]
    return nodes
