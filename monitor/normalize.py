"""Graph JSON → ItemRecord. Graph JSON never travels further than this module."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from storage.records import Attachment, ItemRecord, PostInfo

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
        url = url or att.get("file_url") or att.get("url")
        # Stickers from 2026-08-30 come as an attachment of type "sticker".
        kind = "sticker" if att.get("type") == "sticker" else att.get("mime_type")
        out.append(Attachment(type=str(kind or "file"), url=url, name=att.get("name")))
    return tuple(out)


# What a message without text carried, as the officer reads it (the item is never empty).
SHARE_TEXT = "[Chia sẻ liên kết]"
STICKER_TEXT = "[Nhãn dán]"
STORY_TEXT = "[Trả lời tin]"
UNSUPPORTED_TEXT = "[Nội dung Facebook không hiển thị qua API]"
EMPTY_MESSAGE_TEXT = "[Tin nhắn không có nội dung]"


def comment_count(obj: dict[str, Any]) -> int | None:
    """``comments.summary.total_count`` of a post, reel or photo, when Graph gave it."""
    comments = obj.get("comments")
    summary = comments.get("summary") if isinstance(comments, dict) else None
    total = summary.get("total_count") if isinstance(summary, dict) else None
    return total if isinstance(total, int) and not isinstance(total, bool) else None


def object_info(
    obj: Any, *, page_id: str, kind: str = "post", parent_post_id: str | None = None
) -> PostInfo:
    """A post, reel or photo as the daemon watches it. A post without ``from`` is a citizen's
    whose identity Graph withheld (no Advanced Access), never the page's own."""
    if not isinstance(obj, dict) or not obj.get("id"):
        raise PayloadError("bài viết không có id")
    created = parse_time(obj.get("created_time"))
    updated = parse_time(obj["updated_time"]) if obj.get("updated_time") else None
    author_id, author_name = _author(obj)
    message = obj.get("message", obj.get("description"))
    by_page = author_id == page_id if kind == "post" else True
    return PostInfo(
        id=str(obj["id"]),
        page_id=page_id,
        created_time=created,
        updated_time=updated if updated is not None or kind == "photo" else created,
        message=message if isinstance(message, str) else None,
        author_id=author_id,
        author_name=author_name,
        by_page=by_page,
        permalink=obj.get("permalink_url") if isinstance(obj.get("permalink_url"), str) else None,
        kind=kind,
        parent_post_id=parent_post_id,
        comment_count=comment_count(obj),
    )


def album_photo_ids(obj: Any) -> list[str]:
    """The child photos of an album post: ``attachments{subattachments{target{id}}}``."""
    atts = obj.get("attachments") if isinstance(obj, dict) else None
    found: list[str] = []
    for att in atts.get("data", []) if isinstance(atts, dict) else []:
        subs = att.get("subattachments") if isinstance(att, dict) else None
        for sub in subs.get("data", []) if isinstance(subs, dict) else []:
            target = sub.get("target") if isinstance(sub, dict) else None
            ident = target.get("id") if isinstance(target, dict) else None
            if ident and str(ident) not in found:
                found.append(str(ident))
    return found


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
    attachments = _message_attachments(obj.get("attachments"))
    notes, extra = _message_content(obj, attachments)
    text = _text(obj)
    if notes:
        text = "\n".join([text, *notes]) if text else " ".join(notes)
    elif not text and not attachments:
        text = EMPTY_MESSAGE_TEXT
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
        text=text,
        attachments=attachments + extra,
        created_time=parse_time(obj.get("created_time")),
    )


def _message_content(
    obj: dict[str, Any], attachments: tuple[Attachment, ...]
) -> tuple[list[str], tuple[Attachment, ...]]:
    """Shares, stickers (a URL before 2026-08-30, an attachment of type sticker after), story
    replies and content the API cannot show: a note for the text, and attachments to keep."""
    notes: list[str] = []
    extra: list[Attachment] = []
    shares = obj.get("shares")
    for share in shares.get("data", []) if isinstance(shares, dict) else []:
        if not isinstance(share, dict):
            continue
        link = share.get("link") or share.get("url")
        label = " – ".join(str(v) for v in (share.get("name"), link) if v)
        notes.append(f"{SHARE_TEXT} {label}".strip())
        extra.append(Attachment(type="share", url=link, name=share.get("name")))
    sticker = obj.get("sticker")
    if isinstance(sticker, str) and sticker:
        notes.append(STICKER_TEXT)
        extra.append(Attachment(type="sticker", url=sticker))
    elif any(a.type == "sticker" for a in attachments):
        notes.append(STICKER_TEXT)
    story = obj.get("story")
    if isinstance(story, dict):
        url = story.get("url") or story.get("link")
        notes.append(f"{STORY_TEXT} {url}".strip() if url else STORY_TEXT)
        extra.append(Attachment(type="story", url=url))
    if obj.get("is_unsupported") is True:
        notes.append(UNSUPPORTED_TEXT)
    return notes, tuple(extra)
