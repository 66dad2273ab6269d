"""Render world records as Graph JSON objects, returning only the requested fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from simulator.errors import nonexisting_field
from simulator.fields import FieldSpec
from simulator.inbox import CONVERSATION_FIELDS, MESSAGE_FIELDS
from simulator.media import (
    PHOTO_FIELDS,
    REEL_FIELDS,
    album_attachment,
    object_link,
    photo_attachment,
)
from simulator.outbound import PRIVATE_REPLY_WINDOW
from simulator.records import (
    CommentRecord,
    ConversationRecord,
    GraphRecord,
    MessageRecord,
    PageRecord,
    PhotoRecord,
    PostRecord,
    ReelRecord,
    graph_time,
)
from simulator.view import FB, Getter, View, page_from


def _post_author(post: PostRecord, view: View) -> dict[str, str]:
    if post.author is None:
        return page_from(view, post.page_id)
    return {"name": post.author.name, "id": post.author.id}


def _status_type(post: PostRecord, view: View) -> str:
    if post.author is not None:
        return "wall_post"
    return "added_photos" if post.attachment else "mobile_status_update"


def _post_attachments(post: PostRecord, view: View) -> dict[str, Any] | None:
    if post.photo_ids:
        return {"data": [album_attachment(post, view)]}
    photo = photo_attachment(post.attachment, post.object_id, view)
    return None if photo is None else {"data": [photo]}


def _full_picture(post: PostRecord, view: View) -> str | None:
    media_id = post.photo_ids[0] if post.photo_ids else post.object_id
    photo = photo_attachment(post.attachment, media_id, view)
    return None if photo is None else str(photo.get("media", {}).get("image", {}).get("src", ""))


POST_FIELDS: dict[str, Getter] = {
    "id": lambda p, v: p.id,
    "created_time": lambda p, v: graph_time(p.created),
    "updated_time": lambda p, v: graph_time(p.updated),
    "message": lambda p, v: p.message,
    "from": _post_author,
    "permalink_url": lambda p, v: object_link(p),
    "is_published": lambda p, v: p.published,
    "is_hidden": lambda p, v: False,
    "status_type": _status_type,
    "attachments": _post_attachments,
    "full_picture": _full_picture,
}


def _comment_author(comment: CommentRecord, view: View) -> dict[str, str] | None:
    if comment.author is None:
        return page_from(view, comment.page_id)
    if view.world.pages[comment.page_id].from_hidden:
        # Without Advanced Access Meta leaves `from` out on people's comments (restfb#1136);
        # the Page's own comments keep it.
        return None
    return {"name": comment.author.name, "id": comment.author.id}


def _comment_permalink(comment: CommentRecord, view: View) -> str:
    link = object_link(view.world.posts[comment.post_id])
    base = link + ("&" if "?" in link else "?") + "comment_id="
    if not comment.is_reply:
        return base + comment.object_id
    top = view.world.comments[comment.top_id]
    return f"{base}{top.object_id}&reply_comment_id={comment.object_id}"


def _parent(comment: CommentRecord, view: View) -> dict[str, Any] | None:
    if not comment.is_reply:
        return None
    parent = view.world.comments[comment.parent_id]
    found = {
        "created_time": graph_time(parent.created),
        "from": _comment_author(parent, view),
        "message": parent.message,
        "id": parent.id,
    }
    return {key: value for key, value in found.items() if value is not None}


def can_reply_privately(comment: CommentRecord, now: datetime) -> bool:
    fresh = now - comment.created <= PRIVATE_REPLY_WINDOW
    return not comment.by_page and not comment.private_replied and fresh


COMMENT_FIELDS: dict[str, Getter] = {
    "id": lambda c, v: c.id,
    "message": lambda c, v: c.message,
    "created_time": lambda c, v: graph_time(c.created),
    "from": _comment_author,
    "parent": _parent,
    "attachment": lambda c, v: photo_attachment(c.attachment, c.object_id, v),
    "permalink_url": _comment_permalink,
    "is_hidden": lambda c, v: c.hidden,
    "is_private": lambda c, v: False,
    "comment_count": lambda c, v: sum(not v.world.comments[r].deleted for r in c.reply_ids),
    "like_count": lambda c, v: c.like_count,
    "can_reply_privately": lambda c, v: can_reply_privately(c, v.now),
    "can_comment": lambda c, v: True,
    "can_hide": lambda c, v: not c.by_page,
    "can_like": lambda c, v: True,
    "can_remove": lambda c, v: True,
    "user_likes": lambda c, v: False,
}


PAGE_FIELDS: dict[str, Getter] = {
    "id": lambda p, v: p.page_id,
    "name": lambda p, v: p.name,
    "category": lambda p, v: "Government Organization",
    "link": lambda p, v: f"{FB}/{p.page_id}",
}

# type -> (fields, edges, node type name in errors, default fields)
NODE_TYPES: dict[type, tuple[dict[str, Getter], frozenset[str], str, tuple[str, ...]]] = {
    PageRecord: (
        PAGE_FIELDS,
        frozenset(
            {"feed", "posts", "published_posts", "visitor_posts", "video_reels", "conversations"}
        ),
        "Page",
        ("name", "id"),
    ),
    PostRecord: (POST_FIELDS, frozenset({"comments"}), "PagePost", ("created_time", "message")),
    ReelRecord: (REEL_FIELDS, frozenset({"comments"}), "Video", ("description", "updated_time")),
    PhotoRecord: (PHOTO_FIELDS, frozenset({"comments"}), "Photo", ("created_time", "name")),
    CommentRecord: (
        COMMENT_FIELDS,
        frozenset({"comments"}),
        "Comment",
        ("created_time", "from", "message"),
    ),
    ConversationRecord: (
        CONVERSATION_FIELDS,
        frozenset({"messages"}),
        "UnifiedThread",
        ("link", "updated_time"),
    ),
    MessageRecord: (MESSAGE_FIELDS, frozenset(), "Message", ("created_time",)),
}


def record_id(record: GraphRecord) -> str:
    return record.page_id if isinstance(record, PageRecord) else record.id


def node_type(record: GraphRecord) -> str:
    return NODE_TYPES[type(record)][2]


def has_edge(record: GraphRecord, edge: str) -> bool:
    return edge in NODE_TYPES[type(record)][1]


def project(value: Any, children: list[FieldSpec]) -> Any:
    """Keep only the requested sub-fields of an object (or of each item of a `data` list)."""
    if isinstance(value, dict) and isinstance(value.get("data"), list):
        return {**value, "data": [project(item, children) for item in value["data"]]}
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for spec in children:
        # Unknown sub-fields of embedded objects are dropped rather than refused, so a client
        # asking from{id,name,email} on a comment still gets id and name.
        if spec.name in value:
            inner = value[spec.name]
            out[spec.key] = project(inner, spec.children) if spec.children is not None else inner
    if "id" in value and "id" not in out:
        out["id"] = value["id"]
    return out


def render(record: GraphRecord, specs: list[FieldSpec] | None, view: View) -> dict[str, Any]:
    table, edges, type_name, defaults = NODE_TYPES[type(record)]
    wanted = specs if specs is not None else [FieldSpec(name) for name in defaults]
    out: dict[str, Any] = {}
    for spec in wanted:
        getter = table.get(spec.name)
        if getter is not None:
            value = getter(record, view)
            if value is not None:
                out[spec.key] = project(value, spec.children) if spec.children else value
        elif spec.name in edges:
            if view.edge_lister is None:
                raise nonexisting_field(spec.name, type_name)
            listing = view.edge_lister(record, spec.name, dict(spec.modifiers), spec.children)
            if listing is not None:
                out[spec.key] = listing
        else:
            raise nonexisting_field(spec.name, type_name)
    out.setdefault("id", record_id(record))
    return out
