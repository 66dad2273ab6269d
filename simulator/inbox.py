"""Graph fields of Messenger conversations (UnifiedThread) and their messages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from simulator.records import Attachment, ConversationRecord, MessageRecord, graph_time
from simulator.view import Getter, View, page_from


def _person_entry(view: View, conversation: ConversationRecord, page: bool) -> dict[str, str]:
    if page:
        person = page_from(view, conversation.page_id)
    else:
        person = {"name": conversation.user.name, "id": conversation.user.id}
    return {"name": person["name"], "email": f"{person['id']}@facebook.com", "id": person["id"]}


def _participants(conversation: ConversationRecord, view: View) -> dict[str, Any]:
    return {"data": [_person_entry(view, conversation, p) for p in (False, True)]}


def _thread_messages(conversation: ConversationRecord, view: View) -> list[MessageRecord]:
    return [view.world.messages[m] for m in conversation.message_ids]


def conversation_updated(conversation: ConversationRecord, view: View) -> datetime:
    return max(m.created for m in _thread_messages(conversation, view))


def _unread(conversation: ConversationRecord, view: View) -> int:
    unread = 0
    for message in sorted(_thread_messages(conversation, view), key=lambda m: (m.created, m.seq)):
        unread = 0 if message.from_page else unread + 1
    return unread


def _snippet(conversation: ConversationRecord, view: View) -> str:
    last = view.world.last_message(conversation.id)
    return "" if last is None else last.text[:100]


CONVERSATION_FIELDS: dict[str, Getter] = {
    "id": lambda c, v: c.id,
    "updated_time": lambda c, v: graph_time(conversation_updated(c, v)),
    "participants": _participants,
    "senders": _participants,
    "former_participants": lambda c, v: {"data": []},
    "message_count": lambda c, v: len(c.message_ids),
    "unread_count": _unread,
    "snippet": _snippet,
    "can_reply": lambda c, v: True,
    "is_subscribed": lambda c, v: True,
    "link": lambda c, v: f"/{c.page_id}/inbox/{c.id[2:]}/",
    "scoped_thread_key": lambda c, v: c.id,
    "folder": lambda c, v: c.folder,
}


def _message_people(message: MessageRecord, view: View, sender: bool) -> dict[str, str]:
    conversation = view.world.conversations[message.conversation_id]
    return _person_entry(view, conversation, page=message.from_page == sender)


def _image(attachment: Attachment, media_id: str, view: View) -> dict[str, Any]:
    if isinstance(attachment, dict):
        return attachment
    is_url = isinstance(attachment, str) and attachment.startswith("http")
    url = attachment if is_url and isinstance(attachment, str) else view.media_url(media_id)
    size = {"width": 960, "height": 720, "max_width": 960, "max_height": 720}
    image_data = {**size, "url": url, "preview_url": url, "image_type": 1}
    return {
        "id": media_id,
        "mime_type": "image/jpeg",
        "name": f"image-{media_id}",
        "size": 54542,
        "image_data": {**image_data, "render_as_sticker": False},
    }


# Messenger changelog 2026-06-01: from 2026-08-30 a sticker arrives as an attachment of type
# "sticker"; before, as the message's `sticker` field holding the image URL.
STICKER_AS_ATTACHMENT_FROM = datetime(2026, 8, 30, tzinfo=UTC)


def _new_sticker(message: MessageRecord) -> bool:
    return message.sticker is not None and message.created >= STICKER_AS_ATTACHMENT_FROM


def _sticker_attachment(url: str, media_id: str) -> dict[str, Any]:
    size = {"width": 240, "height": 240, "max_width": 240, "max_height": 240}
    image_data = {**size, "url": url, "preview_url": url, "image_type": 1}
    return {
        "id": media_id,
        "type": "sticker",
        "mime_type": "image/png",
        "name": f"sticker-{media_id}.png",
        "size": 9120,
        "image_data": {**image_data, "render_as_sticker": True},
    }


def _message_attachments(message: MessageRecord, view: View) -> dict[str, Any] | None:
    base = 700_000_000_000_000 + message.seq * 10
    data = [_image(a, str(base + i), view) for i, a in enumerate(message.attachments)]
    if _new_sticker(message) and message.sticker is not None:
        data.append(_sticker_attachment(message.sticker, str(base + len(data))))
    if not data:
        return None
    return {"data": data, "paging": {"cursors": {"before": "MAZDZD", "after": "MAZDZD"}}}


def _shares(message: MessageRecord, view: View) -> dict[str, Any] | None:
    if not message.shares:
        return None
    data = [{"link": "", "name": "", "description": "", **share} for share in message.shares]
    return {"data": data}


def _tags(message: MessageRecord, view: View) -> dict[str, Any]:
    names = ["inbox", "sent"] if message.from_page else ["inbox", "read", "source:mobile"]
    return {"data": [{"name": name} for name in names]}


MESSAGE_FIELDS: dict[str, Getter] = {
    "id": lambda m, v: m.id,
    "created_time": lambda m, v: graph_time(m.created),
    "from": lambda m, v: _message_people(m, v, sender=True),
    "to": lambda m, v: {"data": [_message_people(m, v, sender=False)]},
    "message": lambda m, v: m.text,
    "attachments": _message_attachments,
    "tags": _tags,
    "shares": _shares,
    "sticker": lambda m, v: None if _new_sticker(m) else m.sticker,
    "story": lambda m, v: m.story,
    # Meta sends `is_unsupported` only when true.
    "is_unsupported": lambda m, v: True if m.unsupported else None,
}
