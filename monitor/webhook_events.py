"""What a webhook delivery asks the daemon to read.

A delivery holds entries (one per page), each with ``changes`` (the ``feed`` and ``mention``
fields) or ``messaging`` (``messages``, ``message_echoes``, ``message_edits``). Meta documents
none of the value keys as always present, sends both the current (``from``) and the legacy
(``sender_id``) shapes, and mixes seconds and milliseconds; so this module reads defensively and
turns each change into a ``Target``: the object whose comments, or the person whose
conversation, the daemon must read. It never trusts the text of the event: the read that
follows stores what Graph says, through the same pollers and ``ingest()`` as polling, so an item
is stored once whichever path sees it first.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

TargetKind = Literal["object", "comment", "conversation"]
# Feed items whose change may mean a citizen wrote something we store.
_FEED_ITEMS = frozenset({"comment", "post", "status", "photo", "video", "share", "album", "reel"})
_MESSAGING_KEYS = ("message", "message_edit")


class MalformedDelivery(ValueError):  # noqa: N818 - named for what the delivery is
    """The delivery is not a page webhook we can read; the message says what is wrong."""


@dataclass(frozen=True)
class Target:
    """Something to read now.

    ``object``: the comments of a post, reel, photo or video (``object_id``);
    ``comment``: one comment (a removal or hide to confirm, ``object_id`` is the comment);
    ``conversation``: the Messenger conversation with the person ``user_id``.
    """

    page_id: str
    kind: TargetKind
    object_id: str
    reason: str


@dataclass
class Reading:
    """What one delivery asks for, per page, plus what was skipped and why."""

    targets: list[Target] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def page_ids(self) -> set[str]:
        return {t.page_id for t in self.targets}


def read_delivery(body: bytes) -> Reading:
    """The targets of a delivery, or MalformedDelivery when it is not a page webhook at all."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedDelivery(f"không phải JSON hợp lệ: {exc}") from exc
    if not isinstance(document, Mapping):
        raise MalformedDelivery("phần thân phải là một đối tượng JSON")
    if document.get("object") != "page":
        raise MalformedDelivery(f"object={document.get('object')!r}, không phải 'page'")
    entries = document.get("entry")
    if not isinstance(entries, list):
        raise MalformedDelivery("thiếu danh sách 'entry'")
    reading = Reading()
    seen: set[tuple[str, str, str]] = set()
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping) or _id(entry.get("id")) is None:
            reading.skipped.append(f"entry[{index}]: thiếu mã trang")
            continue
        page_id = str(_id(entry.get("id")))
        for target in _entry_targets(page_id, entry, reading.skipped):
            key = (target.page_id, target.kind, target.object_id)
            if key not in seen:  # Meta repeats changes within one delivery
                seen.add(key)
                reading.targets.append(target)
    return reading


def _entry_targets(page_id: str, entry: Mapping[str, Any], skipped: list[str]) -> Iterator[Target]:
    for change in _list(entry.get("changes")):
        field_name = change.get("field") if isinstance(change, Mapping) else None
        value = change.get("value") if isinstance(change, Mapping) else None
        if not isinstance(value, Mapping):
            skipped.append(f"{page_id}: thay đổi không có 'value'")
        elif field_name == "feed":
            yield from _feed(page_id, value, skipped)
        elif field_name == "mention":
            yield from _mention(page_id, value, skipped)
        else:
            skipped.append(f"{page_id}: trường {field_name!r} không cần đọc")
    for event in _list(entry.get("messaging")):
        yield from _messaging(page_id, event, skipped)


def _feed(page_id: str, value: Mapping[str, Any], skipped: list[str]) -> Iterator[Target]:
    item, verb = value.get("item"), value.get("verb")
    if item not in _FEED_ITEMS:
        skipped.append(f"{page_id}: feed item={item!r} verb={verb!r} không cần đọc")
        return
    comment_id = _id(value.get("comment_id"))
    object_id = (
        _id(value.get("post_id")) or _id(value.get("video_id")) or _id(value.get("photo_id"))
    )
    if item == "comment" and verb in ("remove", "delete", "hide", "unhide") and comment_id:
        yield Target(page_id, "comment", comment_id, f"bình luận {verb}")
    if object_id:
        yield Target(page_id, "object", object_id, f"feed {item} {verb}")
    elif not comment_id:
        skipped.append(f"{page_id}: feed {item} {verb} không có mã bài viết")


def _mention(page_id: str, value: Mapping[str, Any], skipped: list[str]) -> Iterator[Target]:
    object_id = _id(value.get("post_id"))
    if object_id is None:
        skipped.append(f"{page_id}: mention không có post_id")
        return
    yield Target(page_id, "object", object_id, "nhắc tên trang")


def _messaging(page_id: str, event: Any, skipped: list[str]) -> Iterator[Target]:
    if not isinstance(event, Mapping) or not any(k in event for k in _MESSAGING_KEYS):
        skipped.append(f"{page_id}: sự kiện Messenger không phải tin nhắn (đã xem, đã nhận…)")
        return
    message = _map(event.get("message"))
    sender = _id(_map(event.get("sender")).get("id"))
    recipient = _id(_map(event.get("recipient")).get("id"))
    # The citizen is whichever side is not the page. Meta's documentation puts the page as the
    # sender of an echo, while captured echoes show it as the recipient: trust the ids.
    if sender == page_id or recipient == page_id:
        person = recipient if sender == page_id else sender
    else:
        person = recipient if message.get("is_echo") else sender
    if person is None or person == page_id:
        skipped.append(f"{page_id}: tin nhắn không rõ người gửi")
        return
    yield Target(page_id, "conversation", person, "tin nhắn")


def _id(value: Any) -> str | None:
    """Ids come as strings or numbers; anything else is no id."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip() and len(value) <= 160:
        return value.strip()
    return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
