"""Graph JSON → ItemRecord. Graph JSON never travels further than this module."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from storage.records import Attachment, ItemRecord

_COMMENT_IN_PERMALINK = re.compile(r"[?&]comment_id=(\d+)")
_REPLY_IN_PERMALINK = re.compile(r"[?&]reply_comment_id=(\d+)")


class PayloadError(ValueError):
    """A Graph object we cannot store faithfully; it is set aside with this reason."""


def parse_time(value: Any) -> datetime:
    """Graph times: ISO ``2021-08-10T18:45:03+0000`` on reads, Unix seconds or ms in webhooks."""
    if isinstance(value, bool):
        raise PayloadError(f"thời gian không hợp lệ: {value!r}")
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 10**11 else value
        return datetime.fromtimestamp(seconds, UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise PayloadError(f"thời gian không hợp lệ: {value[:40]!r}") from None
        if parsed.tzinfo is None:
            raise PayloadError(f"thời gian thiếu múi giờ: {value[:40]!r}")
        return parsed.astimezone(UTC)
    raise PayloadError(f"thiếu hoặc sai created_time: {value!r}")


def _author(obj: dict[str, Any]) -> tuple[str | None, str | None]:
    sender = obj.get("from")
    if not isinstance(sender, dict):
        return None, None
    ident = sender.get("id")
    name = sender.get("name")
    return (str(ident) if ident is not None else None, str(name) if name is not None else None)


def _text(obj: dict[str, Any]) -> str:
    message = obj.get("message", "")
    if message is None:
        return ""
    if not isinstance(message, str):
        raise PayloadError(f"message không phải chuỗi: {type(message).__name__}")
    return message


def comment_id(obj: dict[str, Any], post_id: str) -> str:
    """The comment's id; rebuilt from its permalink when Graph omits it (PPCA reads)."""
    ident = obj.get("id")
    if isinstance(ident, str | int) and str(ident):
        return str(ident)
    link = obj.get("permalink_url") or ""
    match = _REPLY_IN_PERMALINK.search(link) or _COMMENT_IN_PERMALINK.search(link)
    if not match:
        raise PayloadError("bình luận không có id và không có permalink_url để suy ra id")
    post_object = post_id.split("_")[-1]
    return f"{post_object}_{match.group(1)}"


def _attachment(obj: Any) -> tuple[Attachment, ...]:
    if not isinstance(obj, dict):
        return ()
    url = obj.get("url")
    media = obj.get("media")
    if not url and isinstance(media, dict) and isinstance(media.get("image"), dict):
        url = media["image"].get("src")
    return (Attachment(type=str(obj.get("type") or "attachment"), url=url),)


def _message_attachments(obj: Any) -> tuple[Attachment, ...]:
    if not isinstance(obj, dict) or not isinstance(obj.get("data"), list):
        return ()
    out = []
    for att in obj["data"]:
        if not isinstance(att, dict):
            continue
        url = None
        for key in ("image_data", "video_data"):
            if isinstance(att.get(key), dict):
                url = att[key].get("url")
        url = url or att.get("file_url")
        mime = str(att.get("mime_type") or "file")
        out.append(Attachment(type=mime, url=url, name=att.get("name")))
    return tuple(out)


def comment_record(obj: Any, *, page_id: str, unit_id: str, post_id: str) -> ItemRecord:
    if not isinstance(obj, dict):
        raise PayloadError("bình luận không phải đối tượng JSON")
    author_id, author_name = _author(obj)
    parent = obj.get("parent")
    parent_id = str(parent["id"]) if isinstance(parent, dict) and parent.get("id") else post_id
    return ItemRecord(
        source="facebook_comment",
        external_id=comment_id(obj, post_id),
        unit_id=unit_id,
        page_id=page_id,
        thread_id=post_id,
        parent_id=parent_id,
        author_id=author_id,
        author_name=author_name,
        by_page=author_id == page_id,
        text=_text(obj),
        attachments=_attachment(obj.get("attachment")),
        created_time=parse_time(obj.get("created_time")),
        permalink=obj.get("permalink_url"),
        hidden=bool(obj.get("is_hidden", False)),
    )


def post_record(obj: Any, *, page_id: str, unit_id: str) -> ItemRecord:
    """A visitor post (a citizen wrote on the page's timeline) as an item."""
    if not isinstance(obj, dict) or not obj.get("id"):
        raise PayloadError("bài viết không có id")
    author_id, author_name = _author(obj)
    attachments: tuple[Attachment, ...] = ()
    atts = obj.get("attachments")
    if isinstance(atts, dict) and isinstance(atts.get("data"), list) and atts["data"]:
        attachments = _attachment(atts["data"][0])
    return ItemRecord(
        source="facebook_post",
        external_id=str(obj["id"]),
        unit_id=unit_id,
        page_id=page_id,
        thread_id=str(obj["id"]),
        parent_id=None,
        author_id=author_id,
        author_name=author_name,
        by_page=author_id == page_id,
        text=_text(obj),
        attachments=attachments,
        created_time=parse_time(obj.get("created_time")),
        permalink=obj.get("permalink_url"),
    )


def message_record(obj: Any, *, page_id: str, unit_id: str, conversation_id: str) -> ItemRecord:
    if not isinstance(obj, dict) or not obj.get("id"):
        raise PayloadError("tin nhắn không có id")
    author_id, author_name = _author(obj)
    return ItemRecord(
        source="facebook_message",
        external_id=str(obj["id"]),
        unit_id=unit_id,
        page_id=page_id,
        thread_id=conversation_id,
        parent_id=conversation_id,
        author_id=author_id,
        author_name=author_name,
        by_page=author_id == page_id,
        text=_text(obj),
        attachments=_message_attachments(obj.get("attachments")),
        created_time=parse_time(obj.get("created_time")),
    )
