"""Edge listings (feed, comments, conversations, messages) with cursor paging."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from simulator.conversations import FOLDERS
from simulator.errors import bad_parameter, cursor_too_deep, invalid_cursor, nonexisting_field
from simulator.fields import FieldSpec, fields_text
from simulator.payloads import has_edge, node_type, record_id, render
from simulator.records import (
    CommentRecord,
    ConversationRecord,
    GraphRecord,
    MessageRecord,
    PageRecord,
    PostRecord,
)
from simulator.view import View

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
_CURSOR_PARAMS = ("after", "before")
_PAGING_SKIP = frozenset({"after", "before", "fields", "limit", "as", "access_token"})
_PAGING_SKIP |= {"appsecret_proof"}


def encode_cursor(object_id: str, inclusive: bool = False) -> str:
    raw = ("~" if inclusive else "") + object_id
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, which: str) -> tuple[str, bool]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise invalid_cursor(which) from error
    return (raw[1:], True) if raw.startswith("~") else (raw, False)


def parse_limit(params: dict[str, str]) -> int:
    text = params.get("limit", str(DEFAULT_LIMIT))
    try:
        limit = int(text)
    except ValueError as error:
        raise bad_parameter("Param limit must be a non-negative integer") from error
    if limit > MAX_LIMIT:
        raise bad_parameter(f"Limit over max value of {MAX_LIMIT}")
    if limit < 0:
        raise bad_parameter("Param limit must be a non-negative integer")
    # limit=0 is the usual way to ask only for a summary: `comments.limit(0).summary(true)`.
    return limit


def parse_time(text: str, name: str) -> datetime:
    """A Unix timestamp or an ISO/strtotime-like date, as the Graph API accepts."""
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("+0000", "+00:00").replace("Z", "+00:00"))
    except ValueError as error:
        raise bad_parameter(f"The parameter {name} is not a valid date: {text}") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _choice(params: dict[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    value = params.get(name)
    if value is not None and value not in allowed:
        raise bad_parameter(f"{name} must be one of the following values: {', '.join(allowed)}")
    return value


def _feed(page: PageRecord, edge: str, view: View) -> list[PostRecord]:
    """Newest created first, as Meta serves it: a new comment moves `updated_time` only."""
    posts = [view.world.posts[p] for p in view.world.post_ids(page.page_id)]
    if edge in ("posts", "published_posts"):
        posts = [p for p in posts if p.by_page and p.published]
    elif edge == "visitor_posts":
        posts = [p for p in posts if not p.by_page]
    return sorted(posts, key=lambda p: (p.created, p.seq), reverse=True)


def _descendants(comment: CommentRecord, view: View) -> list[CommentRecord]:
    found: list[CommentRecord] = []
    pending = list(comment.reply_ids)
    while pending:
        reply = view.world.comments[pending.pop()]
        found.append(reply)
        pending.extend(reply.reply_ids)
    return found


def _comments(record: PostRecord | CommentRecord, params: dict[str, str], view: View) -> list[Any]:
    stream = _choice(params, "filter", ("toplevel", "stream")) == "stream"
    order = _served_order(params, view)
    if isinstance(record, PostRecord):
        items = [view.world.comments[c] for c in record.comment_ids]
        if not stream:
            items = [c for c in items if not c.is_reply]
    elif stream:
        items = _descendants(record, view)
    else:
        items = [view.world.comments[c] for c in record.reply_ids]
    items = sorted((c for c in items if not c.deleted), key=lambda c: (c.created, c.seq))
    return items[::-1] if order == "reverse_chronological" else items


def _served_order(params: dict[str, str], view: View) -> str:
    """The order a comments listing is served in, as `summary.order` reports it.

    `filter=stream` is chronological whatever `order` says (Meta's reference and a captured
    stream agree), unless the world's behaviour switch honours `order`. Top-level comments
    follow `order`; without it Meta says "ranked", which here is oldest first.
    """
    order = _choice(params, "order", ("chronological", "reverse_chronological", "ranked"))
    if params.get("filter") == "stream" and not view.world.behaviour.stream_honours_order:
        return "chronological"
    if order is None:
        return "chronological" if params.get("filter") == "stream" else "ranked"
    return order


def _conversations(page: PageRecord, params: dict[str, str], view: View) -> list[Any]:
    platform = params.get("platform", "messenger").lower()
    if platform not in ("messenger", "instagram"):
        raise bad_parameter("platform must be one of the following values: MESSENGER, INSTAGRAM")
    user = params.get("user_id")
    # Without `folder` only the main inbox is listed (a lookup by user_id searches them all).
    folder = _choice(params, "folder", FOLDERS) or (None if user else "inbox")
    ids = [] if platform == "instagram" else view.world.conversation_ids(page.page_id, folder)
    threads = [view.world.conversations[c] for c in ids]
    threads = [c for c in threads if user in (None, c.user.id)]
    return sorted(threads, key=lambda c: _latest(c, view), reverse=True)


def _latest(conversation: ConversationRecord, view: View) -> tuple[datetime, int]:
    messages = (view.world.messages[m] for m in conversation.message_ids)
    return max((m.created, m.seq) for m in messages)


def _reels(page: PageRecord, view: View) -> list[PostRecord]:
    reels = [view.world.posts[r] for r in view.world.reel_ids(page.page_id)]
    return sorted(reels, key=lambda r: (r.created, r.seq), reverse=True)


def _candidates(record: GraphRecord, edge: str, params: dict[str, str], view: View) -> list[Any]:
    if isinstance(record, PageRecord) and edge == "conversations":
        return _conversations(record, params, view)
    if isinstance(record, PageRecord) and edge == "video_reels":
        return _reels(record, view)
    if isinstance(record, PageRecord):
        return _feed(record, edge, view)
    if isinstance(record, PostRecord | CommentRecord):
        return _comments(record, params, view)
    if isinstance(record, ConversationRecord):
        messages = [view.world.messages[m] for m in record.message_ids]
        return sorted(messages, key=lambda m: (m.created, m.seq), reverse=True)
    raise nonexisting_field(edge, node_type(record))


def _created(item: PostRecord | CommentRecord | MessageRecord) -> datetime:
    return item.created


def _window(items: list[Any], params: dict[str, str]) -> tuple[int, int]:
    """Start and end index of the requested page within items."""
    limit = parse_limit(params)
    index = {record_id(item): i for i, item in enumerate(items)}
    for which in _CURSOR_PARAMS:
        if which in params:
            object_id, inclusive = decode_cursor(params[which], which)
            if object_id not in index:
                raise invalid_cursor(which)
            if which == "after":
                start = index[object_id] + (0 if inclusive else 1)
                return start, min(len(items), start + limit)
            end = index[object_id] + (1 if inclusive else 0)
            return max(0, end - limit), end
    return 0, min(len(items), limit)


def _link(record: GraphRecord, edge: str, params: dict[str, str], view: View, **extra: str) -> str:
    query = dict(view.carried)
    query.update({k: v for k, v in params.items() if k not in _PAGING_SKIP})
    if "fields" in params:
        query["fields"] = params["fields"]
    query["limit"] = str(parse_limit(params))
    query.update(extra)
    return f"{view.base_url}/{view.version}/{record_id(record)}/{edge}?{urlencode(query)}"


def list_edge(
    record: GraphRecord,
    edge: str,
    params: dict[str, str],
    children: list[FieldSpec] | None,
    view: View,
    *,
    empty_page: Callable[[], bool] | None = None,
) -> dict[str, Any] | None:
    """One page of an edge. Nested listings (empty_page None) return None when empty."""
    if not has_edge(record, edge):
        raise nonexisting_field(edge, node_type(record))
    items = _candidates(record, edge, params, view)
    everything = items
    # Conversations have no time paging (Meta's docs say so); other edges filter on creation.
    for name, keep in (("since", True), ("until", False)):
        if name in params and edge != "conversations":
            bound = parse_time(params[name], name)
            items = [i for i in items if (_created(i) >= bound) == keep]
    if children is not None:
        params = {**params, "fields": fields_text(children)}
    start, end = _window(items, params)
    deepest = record.cursor_limit if isinstance(record, PostRecord) else None
    if deepest is not None and "after" in params and start >= deepest:
        raise cursor_too_deep()
    result: dict[str, Any] = {"data": []}
    if empty_page is not None and start < end and "before" not in params and empty_page():
        # A page may come back empty yet still have `next`; it resumes where this one began.
        cursor = encode_cursor(record_id(items[start]), inclusive=True)
        result["paging"] = {"cursors": {"before": cursor, "after": cursor}}
        result["paging"]["next"] = _link(record, edge, params, view, after=cursor)
        return result
    page = items[start:end]
    result["data"] = [render(item, children, view) for item in page]
    if page:
        first, last = encode_cursor(record_id(page[0])), encode_cursor(record_id(page[-1]))
        paging: dict[str, Any] = {"cursors": {"before": first, "after": last}}
        if start > 0:
            paging["previous"] = _link(record, edge, params, view, before=first)
        if end < len(items):
            paging["next"] = _link(record, edge, params, view, after=last)
        result["paging"] = paging
    if params.get("summary", "false").lower() not in ("false", "0", ""):
        result["summary"] = _summary(params, everything, view)
    if empty_page is None and not page and "summary" not in result:
        return None
    return result


def _summary(params: dict[str, str], items: list[Any], view: View) -> dict[str, Any]:
    # Hidden (and deleted) comments are not counted, though hidden ones are still listed.
    total = sum(not getattr(item, "hidden", False) for item in items)
    return {"order": _served_order(params, view), "total_count": total, "can_comment": True}
