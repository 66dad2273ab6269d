"""Reels and album photos as Graph objects, and the photo attachments posts and comments carry.

Reels are listed by `/{page}/video_reels`, never by `/feed`. An album post carries its photos
as `attachments{subattachments{target{id}}}`; each photo has its own comment thread.
"""

from __future__ import annotations

from typing import Any

from simulator.records import Attachment, PhotoRecord, PostRecord, ReelRecord, graph_time
from simulator.view import FB, Getter, View, page_from

IMAGE = {"height": 720, "width": 960}


def photo_attachment(attachment: Attachment, media_id: str, view: View) -> dict[str, Any] | None:
    """A photo attachment like the Graph's `attachment` field; dicts are passed through."""
    if not attachment:
        return None
    if isinstance(attachment, dict):
        return attachment
    is_url = isinstance(attachment, str) and attachment.startswith("http")
    src = attachment if is_url and isinstance(attachment, str) else view.media_url(media_id)
    target = f"{FB}/photo.php?fbid={media_id}"
    return {
        "media": {"image": {**IMAGE, "src": src}},
        "target": {"id": media_id, "url": target},
        "type": "photo",
        "url": target,
    }


def album_attachment(post: PostRecord, view: View) -> dict[str, Any]:
    """The single `album` attachment of a multi-photo post, its photos as subattachments."""
    photos = [view.world.posts[p] for p in post.photo_ids if not view.world.posts[p].deleted]
    subattachments = [photo_attachment(True, photo.id, view) for photo in photos]
    url = f"{FB}/{post.page_id}/posts/{post.object_id}/"
    cover = subattachments[0]["media"] if subattachments and subattachments[0] else None
    album: dict[str, Any] = {
        "target": {"id": post.object_id, "url": url},
        "title": f"{len(photos)} ảnh",
        "type": "album",
        "url": url,
        "subattachments": {"data": subattachments},
    }
    if cover is not None:
        album["media"] = cover
    return album


def object_link(record: PostRecord) -> str:
    """The permalink of a post, reel or photo; comment links add `comment_id` to it."""
    if isinstance(record, ReelRecord):
        return f"{FB}/reel/{record.id}/"
    if isinstance(record, PhotoRecord):
        return f"{FB}/photo.php?fbid={record.id}"
    return f"{FB}/{record.page_id}/posts/{record.object_id}/"


def _page_author(record: PostRecord, view: View) -> dict[str, str]:
    if record.author is None:
        return page_from(view, record.page_id)
    return {"name": record.author.name, "id": record.author.id}


REEL_FIELDS: dict[str, Getter] = {
    "id": lambda r, v: r.id,
    "created_time": lambda r, v: graph_time(r.created),
    "updated_time": lambda r, v: graph_time(r.updated),
    "description": lambda r, v: r.message,
    "from": _page_author,
    "permalink_url": lambda r, v: object_link(r),
    "published": lambda r, v: r.published,
    "length": lambda r, v: 27.4,
}


def _images(photo: PhotoRecord, view: View) -> list[dict[str, Any]]:
    return [{**IMAGE, "source": view.media_url(photo.id)}]


PHOTO_FIELDS: dict[str, Getter] = {
    "id": lambda p, v: p.id,
    "created_time": lambda p, v: graph_time(p.created),
    "updated_time": lambda p, v: graph_time(p.updated),
    "name": lambda p, v: p.message,
    "from": _page_author,
    "link": lambda p, v: object_link(p),
    "picture": lambda p, v: v.media_url(p.id),
    "images": _images,
    "can_delete": lambda p, v: p.by_page,
}
