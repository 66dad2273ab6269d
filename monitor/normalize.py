"""Graph JSON → ItemRecord. Graph JSON never travels further than this module."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from storage.records import Attachment, ItemRecord, PostInfo

_COMMENT_IN_PERMALINK = re.compile(r"[?&]comment_id=(\d+)")
_REPLY_IN_PERMALINK = re.compile(r"[?&]reply_comment_id=(\d+)")


class PayloadError(ValueError):
    """A Graph object we cannot store faithfully; it is set aside with this reason."""


# What the item table holds (storage/tables.py): longer ids cannot be stored faithfully, longer
# names and texts are cut (the raw object is kept with the reason).
MAX_ID = 80
MAX_AUTHOR_ID = 40
MAX_NAME = 200
MAX_TEXT = 65_536  # Facebook's longest post is 63,206 characters
MAX_DEPTH = 32  # Graph objects we read nest a handful of levels; deeper is not Graph's
# Graph's clock and ours may disagree a little; a time further ahead is clamped to now, so no
# watermark moves into the future (which would skip every later item).
FUTURE_SLACK = timedelta(hours=1)
FACEBOOK_BEGAN = datetime(2004, 2, 4, tzinfo=UTC)


@dataclass
class Repairs:
    """What normalising one object had to change; filled while ``repairing()`` is active."""

    now: datetime | None
    notes: list[str] = field(default_factory=list)


_repairs: ContextVar[Repairs | None] = ContextVar("pakn_repairs", default=None)


@contextmanager
def repairing(now: datetime) -> Iterator[list[str]]:
    """Normalise with far-future times clamped to ``now``; the notes say what was repaired."""
    repairs = Repairs(now)
    token = _repairs.set(repairs)
    try:
        yield repairs.notes
    finally:
        _repairs.reset(token)


def _note(text: str) -> None:
    repairs = _repairs.get()
    if repairs is not None:
        repairs.notes.append(text)


def parse_time(value: Any) -> datetime:
    """Graph times: ISO ``2021-08-10T18:45:03+0000`` on reads, Unix seconds or ms in webhooks.
    Within ``repairing(now)``, a time more than ``FUTURE_SLACK`` ahead reads as ``now``."""
    moment = _parse_time(value)
    repairs = _repairs.get()
    if repairs is None or repairs.now is None:
        return moment
    if moment > repairs.now + FUTURE_SLACK:
        _note(f"thời gian ở tương lai ({str(value)[:40]}), lấy thời điểm đọc")
        return repairs.now
    if moment < FACEBOOK_BEGAN:  # no deadline rule reaches back there either
        _note(f"thời gian trước khi có Facebook ({str(value)[:40]}), lấy thời điểm đọc")
        return repairs.now
    return moment


def _parse_time(value: Any) -> datetime:
    if isinstance(value, bool):
        raise PayloadError(f"thời gian không hợp lệ: {value!r}")
    try:
        if isinstance(value, int | float):
            seconds = value / 1000 if value > 10**11 else value
            return datetime.fromtimestamp(seconds, UTC)
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise PayloadError(f"thời gian thiếu múi giờ: {value[:40]!r}")
            return parsed.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        raise PayloadError(f"thời gian không hợp lệ: {str(value)[:40]!r}") from None
    raise PayloadError(f"thiếu hoặc sai created_time: {str(value)[:40]!r}")


def checked_shape(obj: Any, what: str) -> dict[str, Any]:
    """The object itself when it is a JSON object nested no deeper than ``MAX_DEPTH``."""
    if not isinstance(obj, dict):
        raise PayloadError(f"{what} không phải đối tượng JSON")
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise PayloadError(f"{what} lồng quá sâu (hơn {MAX_DEPTH} cấp)")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return obj


def object_id(value: Any, what: str, limit: int = MAX_ID) -> str:
    """A Graph id: a string (or a number) of printable ASCII, no longer than ``limit``."""
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise PayloadError(f"{what} không có id")
    text = str(value)
    if len(text) > limit:
        raise PayloadError(f"id của {what} dài quá {limit} ký tự ({len(text)})")
    if not _ID.fullmatch(text):
        raise PayloadError(f"id của {what} có ký tự lạ: {text[:40]!r}")
    return text


_ID = re.compile(r"[!-~]+")  # printable ASCII: Messenger ids carry "$", ".", "-" and more


def clean_text(value: str, what: str, limit: int) -> str:
    """Text any database stores: no NUL, no lone surrogate, at most ``limit`` characters."""
    out = value
    if "\x00" in out:
        out = out.replace("\x00", "")
        _note(f"{what} có ký tự NUL, đã bỏ")
    try:
        out.encode("utf-8")
    except UnicodeEncodeError:
        out = out.encode("utf-8", "replace").decode("utf-8")
        _note(f"{what} có ký tự Unicode hỏng, đã thay bằng '?'")
    if len(out) > limit:
        _note(f"{what} dài {len(out)} ký tự, đã cắt còn {limit}")
        out = out[:limit]
    return out


def _author(obj: dict[str, Any]) -> tuple[str | None, str | None]:
    sender = obj.get("from")
    if sender is None:
        return None, None
    if not isinstance(sender, dict):
        _note("from không phải đối tượng, người gửi coi như chưa rõ")
        return None, None
    try:
        ident: str | None = object_id(sender.get("id"), "người gửi", MAX_AUTHOR_ID)
    except PayloadError as exc:
        ident = None
        if sender.get("id") is not None:
            _note(f"{exc}, người gửi coi như chưa rõ")
    name = sender.get("name")
    if name is not None and not isinstance(name, str):
        _note("tên người gửi không phải chuỗi, đã bỏ")
        name = None
    return ident, clean_text(name, "tên người gửi", MAX_NAME) if name is not None else None


def _text(obj: dict[str, Any], key: str = "message") -> str:
    message = obj.get(key, "")
    if message is None:
        return ""
    if not isinstance(message, str):
        raise PayloadError(f"message không phải chuỗi: {type(message).__name__}")
    return clean_text(message, "nội dung", MAX_TEXT)


def _link(value: Any) -> str | None:
    return clean_text(value, "liên kết", MAX_TEXT) if isinstance(value, str) else None


def comment_id(obj: dict[str, Any], post_id: str) -> str:
    """The comment's id; rebuilt from its permalink when Graph omits it (PPCA reads)."""
    ident = obj.get("id")
    if ident is not None:
        return object_id(ident, "bình luận", MAX_ID * 2)
    link = obj.get("permalink_url")
    link = link if isinstance(link, str) else ""
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
    obj = checked_shape(obj, "bài viết")
    ident = object_id(obj.get("id"), "bài viết")
    created = parse_time(obj.get("created_time"))
    updated = parse_time(obj["updated_time"]) if obj.get("updated_time") else None
    author_id, author_name = _author(obj)
    message = obj.get("message", obj.get("description"))
    by_page = author_id == page_id if kind == "post" else True
    return PostInfo(
        id=ident,
        page_id=page_id,
        created_time=created,
        updated_time=updated if updated is not None or kind == "photo" else created,
        message=clean_text(message, "nội dung", MAX_TEXT) if isinstance(message, str) else None,
        author_id=author_id,
        author_name=author_name,
        by_page=by_page,
        permalink=_link(obj.get("permalink_url")),
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
    obj = checked_shape(obj, "bình luận")
    author_id, author_name = _author(obj)
    parent = obj.get("parent")
    parent_ident = parent.get("id") if isinstance(parent, dict) else None
    parent_id = object_id(parent_ident, "bình luận cha", MAX_ID * 2) if parent_ident else post_id
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
        permalink=_link(obj.get("permalink_url")),
        hidden=obj.get("is_hidden") is True,
    )


def post_record(obj: Any, *, page_id: str, unit_id: str) -> ItemRecord:
    """A visitor post (a citizen wrote on the page's timeline) as an item."""
    obj = checked_shape(obj, "bài viết")
    ident = object_id(obj.get("id"), "bài viết")
    author_id, author_name = _author(obj)
    attachments: tuple[Attachment, ...] = ()
    atts = obj.get("attachments")
    if isinstance(atts, dict) and isinstance(atts.get("data"), list) and atts["data"]:
        attachments = _attachment(atts["data"][0])
    return ItemRecord(
        source="facebook_post",
        external_id=ident,
        unit_id=unit_id,
        page_id=page_id,
        thread_id=ident,
        parent_id=None,
        author_id=author_id,
        author_name=author_name,
        by_page=author_id == page_id,
        text=_text(obj),
        attachments=attachments,
        created_time=parse_time(obj.get("created_time")),
        permalink=_link(obj.get("permalink_url")),
    )


def message_record(obj: Any, *, page_id: str, unit_id: str, conversation_id: str) -> ItemRecord:
    obj = checked_shape(obj, "tin nhắn")
    ident = object_id(obj.get("id"), "tin nhắn", MAX_ID * 2)
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
        external_id=ident,
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
