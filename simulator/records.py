"""The simulated world's records: pages, posts, comments, conversations, messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GRAPH_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S+0000"

# A caller may pass an author as ("id", "Tên") or None; None means the Page itself.
Author = tuple[str, str] | None
Attachment = str | dict[str, Any] | bool | None


def graph_time(moment: datetime) -> str:
    """Format like the Graph API does: "2021-08-10T18:45:03+0000"."""
    return moment.astimezone(UTC).strftime(GRAPH_TIME_FORMAT)


def as_utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC; aware ones are converted."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass(slots=True)
class Person:
    id: str
    name: str


@dataclass
class PageRecord:
    page_id: str
    name: str
    token: str | None
    # Without Advanced Access, citizens' comments come without `from` (restfb#1136).
    from_hidden: bool = False


@dataclass
class PostRecord:
    id: str
    page_id: str
    object_id: str
    author: Person | None
    message: str | None
    created: datetime
    updated: datetime
    attachment: Attachment
    seq: int
    published: bool = True
    deleted: bool = False
    comment_ids: list[str] = field(default_factory=list)
    # An album post's child photos, each with its own comment thread.
    photo_ids: list[str] = field(default_factory=list)
    # Reading comments with an `after` cursor this deep fails, as on very long threads.
    cursor_limit: int | None = None

    @property
    def by_page(self) -> bool:
        return self.author is None


@dataclass
class ReelRecord(PostRecord):
    """A Page reel: listed by `/{page}/video_reels`, never in `/feed`; `message` is its
    description."""


@dataclass
class PhotoRecord(PostRecord):
    """One photo of an album post; its comments are not the album post's comments."""

    album_id: str = ""


@dataclass
class CommentRecord:
    id: str
    page_id: str
    post_id: str
    object_id: str
    parent_id: str
    top_id: str
    author: Person | None
    message: str
    created: datetime
    attachment: Attachment
    seq: int
    hidden: bool = False
    deleted: bool = False
    private_replied: bool = False
    like_count: int = 0
    reply_ids: list[str] = field(default_factory=list)

    @property
    def by_page(self) -> bool:
        return self.author is None

    @property
    def is_reply(self) -> bool:
        return self.parent_id != self.post_id


@dataclass
class MessageRecord:
    id: str
    conversation_id: str
    from_page: bool
    text: str
    created: datetime
    attachments: list[Attachment]
    seq: int
    # Other content a message may carry instead of text (see inbox.py for the shapes).
    shares: list[dict[str, str]] = field(default_factory=list)
    sticker: str | None = None
    story: dict[str, str] | None = None
    unsupported: bool = False
    # How many times the sender edited the text (a `message_edits` webhook each time).
    edits: int = 0


@dataclass
class ConversationRecord:
    id: str
    page_id: str
    user: Person
    seq: int
    message_ids: list[str] = field(default_factory=list)
    folder: str = "inbox"


GraphRecord = PageRecord | PostRecord | CommentRecord | ConversationRecord | MessageRecord


class Page(str):
    """A page id that also carries the page's name and the token it was created with.

    It is a str so callers can pass the value of `World.add_page` wherever a page id is
    expected, and still read `.name` or `.token` from it.
    """

    page_id: str
    name: str
    token: str

    def __new__(cls, page_id: str, name: str, token: str) -> Page:
        page = super().__new__(cls, page_id)
        page.page_id = page_id
        page.name = name
        page.token = token
        return page
