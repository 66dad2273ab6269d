"""Writes by the Page: public comment replies, Messenger sends, private replies, moderation."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from simulator.errors import GraphError, bad_parameter, missing_object, outside_window
from simulator.records import CommentRecord, GraphRecord, PageRecord, PostRecord
from simulator.uploads import Upload
from simulator.world import World

GRANTED_SCOPES = (
    "pages_show_list",
    "pages_read_engagement",
    "pages_read_user_content",
    "pages_manage_engagement",
    "pages_manage_metadata",
    "pages_messaging",
)
STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
PRIVATE_REPLY_WINDOW = timedelta(days=7)
MESSAGING_TYPES = ("RESPONSE", "UPDATE", "MESSAGE_TAG", "UTILITY")
# Tags Meta stopped accepting on 2026-04-27: requests using them fail with error 100.
REMOVED_TAGS = ("CONFIRMED_EVENT_UPDATE", "ACCOUNT_UPDATE", "POST_PURCHASE_UPDATE")
TAG_WINDOWS = {"HUMAN_AGENT": HUMAN_AGENT_WINDOW, "CUSTOMER_FEEDBACK": HUMAN_AGENT_WINDOW}


def create(
    world: World,
    target: GraphRecord,
    edge: str,
    params: dict[str, str],
    json_body: dict[str, Any] | None,
    now: datetime,
    uploads: dict[str, Upload] | None = None,
) -> dict[str, Any]:
    """`POST /{object}/{edge}`: a comment on a post or comment, or a Send API message.

    A file comes as a multipart part: ``source`` for a comment's photo, ``filedata`` for a
    Send API attachment (Meta's names; any other file part is refused like Meta does)."""
    files = uploads or {}
    if edge == "comments" and isinstance(target, PostRecord | CommentRecord):
        return _comment(world, target, {**(json_body or {}), **params}, now, files.get("source"))
    if edge == "messages" and isinstance(target, PageRecord):
        payload = _send_payload(params, json_body)
        return _send(world, target, payload, now, _message_file(payload, files.get("filedata")))
    object_id = target.page_id if isinstance(target, PageRecord) else target.id
    raise missing_object(object_id, "post")


def moderate(world: World, comment: CommentRecord, params: dict[str, str]) -> dict[str, Any]:
    """`POST /{comment-id}` with `is_hidden=true|false` or a new `message`."""
    if "is_hidden" in params:
        world.hide_comment(comment.id, params["is_hidden"].lower() in ("true", "1"))
    elif "message" in params and comment.by_page:
        world.edit_comment(comment.id, params["message"])
    else:
        raise bad_parameter("Nothing to update: pass is_hidden, or message for the Page's comments")
    return {"success": True}


def _comment(
    world: World,
    target: PostRecord | CommentRecord,
    payload: dict[str, Any],
    now: datetime,
    source: Upload | None,
) -> dict[str, Any]:
    message = str(payload.get("message") or "")
    url = payload.get("attachment_url") or None
    if source is not None and not source.content_type.startswith("image/"):
        raise bad_parameter("param source must be an image")
    if source is not None and url:
        raise bad_parameter("Only one of source, attachment_url may be given")
    if not message and not url and source is None:
        raise bad_parameter("Missing message or attachment")
    shown = url or (f"{world_media(source)}" if source is not None else None)
    comment_id = world.add_comment(target.id, None, message, now, shown)
    entry: dict[str, Any] = {
        "kind": "comment",
        "id": comment_id,
        "page_id": target.page_id,
        "target": target.id,
        "message": message,
        "created_time": now,
    }
    if source is not None or url:
        entry["attachment"] = source.describe() if source is not None else {"url": url}
    world.record_sent(entry)
    return {"id": comment_id}


def world_media(upload: Upload) -> str:
    """Where the simulator says an uploaded photo lives (its media route serves a pixel)."""
    return f"/_sim/media/{upload.sha256[:16]}.jpg"


def _message_file(payload: dict[str, Any], filedata: Upload | None) -> Upload | None:
    """The file of a Send API message: an attachment without a URL needs ``filedata``."""
    message = payload.get("message")
    attachment = message.get("attachment") if isinstance(message, dict) else None
    if not isinstance(attachment, dict):
        if filedata is not None:
            raise bad_parameter("filedata given without message.attachment")
        return None
    body = attachment.get("payload")
    has_url = isinstance(body, dict) and bool(body.get("url") or body.get("attachment_id"))
    if attachment.get("type") not in ("image", "audio", "video", "file"):
        raise bad_parameter("param message.attachment.type must be image, audio, video or file")
    if filedata is None and not has_url:
        raise bad_parameter("Attachment needs payload.url, payload.attachment_id or filedata")
    return filedata


def _send_payload(params: dict[str, str], json_body: dict[str, Any] | None) -> dict[str, Any]:
    """The Send API takes a JSON body, or form fields whose values are JSON-encoded objects."""
    payload: dict[str, Any] = dict(json_body or {})
    for key, value in params.items():
        if key in ("recipient", "message"):
            try:
                payload[key] = json.loads(value)
            except ValueError as error:
                raise bad_parameter(f"param {key} must be a JSON object") from error
        elif key not in ("access_token", "appsecret_proof"):
            payload[key] = value
    return payload


def _send(
    world: World,
    page: PageRecord,
    payload: dict[str, Any],
    now: datetime,
    filedata: Upload | None = None,
) -> dict[str, Any]:
    recipient = payload.get("recipient")
    message = payload.get("message")
    if not isinstance(recipient, dict) or not recipient:
        raise bad_parameter("param recipient must be non-empty.")
    if not isinstance(message, dict) or not (message.get("text") or message.get("attachment")):
        raise bad_parameter("param message must be non-empty.")
    if "comment_id" in recipient:
        return _private_reply(world, page, str(recipient["comment_id"]), message, now)
    psid = str(recipient.get("id", ""))
    thread = world.conversation_with(page.page_id, psid)
    if thread is None:
        raise GraphError("(#100) No matching user found", 100, subcode=2018001)
    messaging_type = payload.get("messaging_type")
    tag = payload.get("tag")
    _check_window(world, thread, messaging_type, tag, now)
    user = world.conversations[thread].user
    message_id = _append(world, page, (user.id, user.name), message, now)
    entry: dict[str, Any] = {
        "kind": "message",
        "id": message_id,
        "page_id": page.page_id,
        "target": psid,
        "message": str(message.get("text") or ""),
        "messaging_type": messaging_type,
        "tag": tag,
        "created_time": now,
    }
    if isinstance(message.get("attachment"), dict):
        described = filedata.describe() if filedata is not None else {}
        entry["attachment"] = {"type": message["attachment"].get("type"), **described}
    world.record_sent(entry)
    result: dict[str, Any] = {"recipient_id": psid, "message_id": message_id}
    if filedata is not None:
        result["attachment_id"] = f"att_{filedata.sha256[:15]}"
    return result


def _check_window(world: World, thread: str, messaging_type: Any, tag: Any, now: datetime) -> None:
    if messaging_type not in MESSAGING_TYPES:
        raise bad_parameter(f"param messaging_type must be one of {', '.join(MESSAGING_TYPES)}")
    window = STANDARD_WINDOW
    if messaging_type == "MESSAGE_TAG":
        if tag in REMOVED_TAGS:
            raise bad_parameter(f"The tag {tag} is no longer supported")
        if tag not in TAG_WINDOWS:
            raise bad_parameter(f"param tag must be one of {', '.join(TAG_WINDOWS)}")
        window = TAG_WINDOWS[str(tag)]
    last = world.last_message(thread, from_user=True)
    if last is None or now - last.created > window:
        raise outside_window()


def _append(
    world: World, page: PageRecord, user: tuple[str, str], message: dict[str, Any], now: datetime
) -> str:
    attachment = message.get("attachment")
    url = attachment.get("payload", {}).get("url") if isinstance(attachment, dict) else None
    attachments: list[Any] = [url or True] if attachment else []
    text = str(message.get("text") or "")
    thread = world.add_message(page.page_id, user, text, True, now, attachments)
    return world.message_ids(thread)[-1]


def _private_reply(
    world: World, page: PageRecord, comment_id: str, message: dict[str, Any], now: datetime
) -> dict[str, Any]:
    comment = world.lookup(comment_id)
    if not isinstance(comment, CommentRecord) or comment.page_id != page.page_id:
        raise missing_object(comment_id, "post")
    if comment.author is None:
        raise GraphError("(#10) The Page cannot reply privately to its own comment", 10)
    if comment.private_replied:
        raise GraphError("(#10) Activity already replied to: one private reply per comment", 10)
    if now - comment.created > PRIVATE_REPLY_WINDOW:
        raise outside_window()
    comment.private_replied = True
    author = (comment.author.id, comment.author.name)
    message_id = _append(world, page, author, message, now)
    world.record_sent(
        {
            "kind": "private_reply",
            "id": message_id,
            "page_id": page.page_id,
            "target": comment_id,
            "message": str(message.get("text") or ""),
            "created_time": now,
        }
    )
    return {"recipient_id": comment.author.id, "message_id": message_id}
