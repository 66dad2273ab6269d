"""What Meta's webhooks say about a change of the simulated world, in Meta's shapes.

A world event (see `WorldState.subscribe`) becomes one `Change`: a `feed` change value for
comments and posts (graph-api.md §7.4, restfb's captured `feed-comment-*.json`) or a Messenger
`messaging` event for messages, echoes and edits (§7.5). Built under the world's lock, at the
moment of the change, so a later deletion does not change what the earlier event said.

Ids are strings, as Meta's current documentation shows them (restfb's 2016 Messenger captures
have numbers); `post_id` is the id the simulated Graph API answers to for that object (a bare
id for reels and album photos), so a read triggered by the event finds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from simulator.diagnostics import APP_ID
from simulator.inbox import STICKER_AS_ATTACHMENT_FROM
from simulator.records import (
    Attachment,
    CommentRecord,
    MessageRecord,
    Person,
    PostRecord,
    ReelRecord,
)
from simulator.state import WorldEvent
from simulator.world import World

CDN = "https://scontent.xx.fbcdn.net/v/t1.15752-9"
STICKER_ID = 369239263222822


@dataclass(frozen=True)
class Change:
    """One update for one Page: `field` is the subscribed field it belongs to; `value` is the
    `changes[].value` of a feed change or the whole `messaging[]` event of a Messenger one."""

    page_id: str
    field: str
    value: dict[str, Any]

    @property
    def messaging(self) -> bool:
        return self.field != "feed"


def change_for(world: World, event: WorldEvent) -> Change | None:
    """The webhook change a world event gives, or None when Meta would send nothing."""
    kind, verb, object_id = event["type"], event["verb"], event["id"]
    if kind == "comment":
        return Change(event["page_id"], "feed", _comment(world, world.comments[object_id], verb))
    if kind == "post":
        return Change(event["page_id"], "feed", _post(world, world.posts[object_id], verb))
    if kind == "message":
        return _message(world, world.messages[object_id], verb, event["at"])
    return None


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


def unix_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _from(world: World, page_id: str, author: Person | None) -> dict[str, str] | None:
    """The author as `from`; none for a citizen when the app lacks Advanced Access."""
    if author is None:
        return {"id": page_id, "name": world.pages[page_id].name}
    if world.pages[page_id].from_hidden:
        return None
    return {"id": author.id, "name": author.name}


def _comment(world: World, comment: CommentRecord, verb: str) -> dict[str, Any]:
    value: dict[str, Any] = {
        "item": "comment",
        "verb": verb,
        "comment_id": comment.id,
        "post_id": comment.post_id,
        "parent_id": comment.parent_id,
    }
    author = _from(world, comment.page_id, comment.author)
    if author is not None:
        value["from"] = author
    if verb == "remove":  # restfb feed-comment-remove: ids and `from` only
        return value
    value["created_time"] = unix(comment.created)
    if verb in ("add", "edited"):
        value["message"] = comment.message
        if comment.attachment:
            value["photo"] = _media_url(comment.attachment, comment.object_id)
    return value


def _post(world: World, post: PostRecord, verb: str) -> dict[str, Any]:
    item = "video" if isinstance(post, ReelRecord) else "photo" if post.attachment else "status"
    value: dict[str, Any] = {"item": item, "verb": verb, "post_id": post.id}
    author = _from(world, post.page_id, post.author)
    if author is not None:
        value["from"] = author
    value["created_time"] = unix(world.now() if verb == "remove" else post.created)
    if verb == "remove":
        return value
    if post.message:
        value["message"] = post.message
    if item == "photo":
        value["photo_id"] = post.object_id
        value["link"] = _media_url(post.attachment, post.object_id)
    if item == "video":
        value["video_id"] = post.id
    value["published"] = 1
    return value


def _message(world: World, message: MessageRecord, verb: str, at: datetime) -> Change:
    thread = world.conversations[message.conversation_id]
    page, person = {"id": thread.page_id}, {"id": thread.user.id}
    # The page's own messages come back as echoes, sent by the page (Meta's documentation).
    sender, recipient = (page, person) if message.from_page else (person, page)
    event: dict[str, Any] = {"sender": sender, "recipient": recipient}
    if verb == "edited":
        event["timestamp"] = unix_ms(at)
        edit = {"mid": message.id, "text": message.text, "num_edit": message.edits}
        event["message_edit"] = edit
        return Change(thread.page_id, "message_edits", event)
    event["timestamp"] = unix_ms(message.created)
    event["message"] = _message_body(message)
    return Change(thread.page_id, "message_echoes" if message.from_page else "messages", event)


def _message_body(message: MessageRecord) -> dict[str, Any]:
    body: dict[str, Any] = {"mid": message.id}
    if message.from_page:
        body.update({"is_echo": True, "app_id": int(APP_ID)})
    if message.text:
        body["text"] = message.text
    attachments = [
        {"type": "image", "payload": {"url": _media_url(a, f"{message.seq}_{n}")}}
        for n, a in enumerate(message.attachments)
    ]
    attachments += [
        {"type": "fallback", "payload": {"url": s.get("link", ""), "title": s.get("name", "")}}
        for s in message.shares
    ]
    if message.sticker:
        kind = "sticker" if message.created >= STICKER_AS_ATTACHMENT_FROM else "image"
        payload = {"url": message.sticker, "sticker_id": STICKER_ID}
        attachments.append({"type": kind, "payload": payload})
        body["sticker_id"] = STICKER_ID
    if attachments:
        body["attachments"] = attachments
    if message.story:
        body["reply_to"] = {"story": dict(message.story)}
    return body


def _media_url(attachment: Attachment, media_id: str) -> str:
    if isinstance(attachment, str) and attachment.startswith("http"):
        return attachment
    if isinstance(attachment, dict):
        for key in ("url", "src"):
            if isinstance(attachment.get(key), str):
                return str(attachment[key])
    return f"{CDN}/{media_id}_n.jpg"
