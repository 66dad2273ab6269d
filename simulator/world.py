"""State of the simulated Facebook: Pages, their posts, comments and Messenger threads.

Every method takes the world's lock, so the HTTP threads and a test thread can share it.
"""

from __future__ import annotations

import base64
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from simulator.behaviour import Behaviour
from simulator.budget import UsageMeter
from simulator.records import (
    Attachment,
    Author,
    CommentRecord,
    ConversationRecord,
    GraphRecord,
    MessageRecord,
    Page,
    PageRecord,
    Person,
    PostRecord,
    as_utc,
)

Clock = Callable[[], datetime]
ItemKey = tuple[str, str]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _person(author: Author) -> Person | None:
    return None if author is None else Person(str(author[0]), str(author[1]))


class World:
    def __init__(
        self,
        clock: Clock | None = None,
        seed: int = 1,
        app_secret: str | None = None,
        behaviour: Behaviour | None = None,
    ) -> None:
        self.clock: Clock = clock or _utc_now
        self.app_secret = app_secret
        self.behaviour = behaviour or Behaviour()
        self.lock = threading.RLock()
        self.meter = UsageMeter()
        self._rng = random.Random(seed)
        self._next_object = 1_000_000_000_000_000 + self._rng.randrange(10**14)
        self._seq = 0
        self.pages: dict[str, PageRecord] = {}
        self._live_tokens: dict[str, str] = {}
        self._dead_tokens: dict[str, str] = {}
        self.posts: dict[str, PostRecord] = {}
        self.page_posts: dict[str, list[str]] = {}
        self.comments: dict[str, CommentRecord] = {}
        self.conversations: dict[str, ConversationRecord] = {}
        self._threads: dict[tuple[str, str], str] = {}
        self.messages: dict[str, MessageRecord] = {}
        self._sent: list[dict[str, Any]] = []

    # ids and time -------------------------------------------------------------------------
    def now(self) -> datetime:
        return as_utc(self.clock())

    def _object_id(self) -> str:
        self._next_object += self._rng.randint(1, 4000)
        return str(self._next_object)

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _moment(self, created_time: datetime | None) -> datetime:
        return self.now() if created_time is None else as_utc(created_time)

    # pages and tokens ---------------------------------------------------------------------
    def add_page(self, page_id: str, name: str, token: str) -> Page:
        with self.lock:
            if page_id in self.pages:
                raise ValueError(f"page {page_id} already exists")
            self.pages[page_id] = PageRecord(page_id, name, token)
            self.page_posts[page_id] = []
            self._live_tokens[token] = page_id
            return Page(page_id, name, token)

    def set_token(self, page_id: str, new_token: str) -> None:
        with self.lock:
            self.revoke_token(page_id)
            self.pages[page_id].token = new_token
            self._live_tokens[new_token] = page_id

    def revoke_token(self, page_id: str) -> None:
        with self.lock:
            page = self.pages[page_id]
            if page.token is not None:
                self._live_tokens.pop(page.token, None)
                self._dead_tokens[page.token] = page_id
            page.token = None

    def token_owner(self, token: str) -> tuple[str, bool] | None:
        """(page id, still valid) for a token this world ever issued, else None."""
        with self.lock:
            if token in self._live_tokens:
                return self._live_tokens[token], True
            if token in self._dead_tokens:
                return self._dead_tokens[token], False
            return None

    def set_budget(self, page_id: str, calls_per_window: int, window_seconds: float) -> None:
        with self.lock:
            self.meter.set_budget(page_id, calls_per_window, window_seconds)

    # posts and comments -------------------------------------------------------------------
    def add_post(
        self,
        page_id: str,
        message: str | None = None,
        author: Author = None,
        created_time: datetime | None = None,
        attachment: Attachment = None,
        published: bool = True,
    ) -> str:
        """A post on the Page's timeline; `author` None means the Page itself."""
        with self.lock:
            if page_id not in self.pages:
                raise KeyError(f"unknown page {page_id}")
            object_id = self._object_id()
            moment = self._moment(created_time)
            post = PostRecord(
                id=f"{page_id}_{object_id}",
                page_id=page_id,
                object_id=object_id,
                author=_person(author),
                message=message or None,
                created=moment,
                updated=moment,
                attachment=attachment,
                seq=self._next_seq(),
                published=published,
            )
            self.posts[post.id] = post
            self.page_posts[page_id].append(post.id)
            return post.id

    def add_comment(
        self,
        parent_id: str,
        author: Author = None,
        message: str = "",
        created_time: datetime | None = None,
        attachment: Attachment = None,
    ) -> str:
        with self.lock:
            parent = self.comments.get(parent_id)
            post = self.posts[parent.post_id] if parent else self.posts.get(parent_id)
            if post is None or post.deleted or (parent is not None and parent.deleted):
                raise KeyError(f"no live post or comment {parent_id}")
            object_id = self._object_id()
            comment_id = f"{post.object_id}_{object_id}"
            moment = self._moment(created_time)
            comment = CommentRecord(
                id=comment_id,
                page_id=post.page_id,
                post_id=post.id,
                object_id=object_id,
                parent_id=parent_id,
                top_id=parent.top_id if parent else comment_id,
                author=_person(author),
                message=message,
                created=moment,
                attachment=attachment,
                seq=self._next_seq(),
                like_count=self._rng.choice((0, 0, 0, 1, 2, 5)),
            )
            self.comments[comment_id] = comment
            post.comment_ids.append(comment_id)
            if parent is not None:
                parent.reply_ids.append(comment_id)
            # A comment moves its post's updated_time; a reply does only if the switch says so.
            if parent is None or self.behaviour.reply_bumps_post:
                post.updated = max(post.updated, moment)
            return comment_id

    def delete_post(self, post_id: str) -> None:
        """Delete a post; its comments go with it."""
        with self.lock:
            post = self.posts[post_id]
            post.deleted = True
            for comment_id in post.comment_ids:
                self.comments[comment_id].deleted = True

    def edit_comment(self, comment_id: str, message: str) -> None:
        with self.lock:
            comment = self._live_comment(comment_id)
            comment.message = message
            if self.behaviour.edit_bumps_post:
                post = self.posts[comment.post_id]
                post.updated = max(post.updated, self.now())

    def delete_comment(self, comment_id: str) -> None:
        """Delete a comment and, as Facebook does, every reply under it."""
        with self.lock:
            comment = self._live_comment(comment_id)
            pending = [comment]
            while pending:
                current = pending.pop()
                current.deleted = True
                pending.extend(self.comments[reply] for reply in current.reply_ids)

    def hide_comment(self, comment_id: str, hidden: bool = True) -> None:
        with self.lock:
            self._live_comment(comment_id).hidden = hidden

    def _live_comment(self, comment_id: str) -> CommentRecord:
        comment = self.comments.get(comment_id)
        if comment is None or comment.deleted:
            raise KeyError(f"no live comment {comment_id}")
        return comment

    # Messenger ----------------------------------------------------------------------------
    def add_message(
        self,
        page_id: str,
        user: tuple[str, str],
        message: str = "",
        from_page: bool = False,
        created_time: datetime | None = None,
        attachments: list[Attachment] | None = None,
    ) -> str:
        """Add one message to the thread with `user`, creating it if needed; returns t_... id."""
        with self.lock:
            if page_id not in self.pages:
                raise KeyError(f"unknown page {page_id}")
            key = (page_id, str(user[0]))
            if key not in self._threads:
                conversation = ConversationRecord(
                    f"t_{self._object_id()}", page_id, Person(key[1], user[1]), self._next_seq()
                )
                self.conversations[conversation.id] = conversation
                self._threads[key] = conversation.id
            conversation = self.conversations[self._threads[key]]
            record = MessageRecord(
                id="m_" + base64.urlsafe_b64encode(self._rng.randbytes(63)).decode(),
                conversation_id=conversation.id,
                from_page=from_page,
                text=message or "",
                created=self._moment(created_time),
                attachments=list(attachments or []),
                seq=self._next_seq(),
            )
            self.messages[record.id] = record
            conversation.message_ids.append(record.id)
            return conversation.id

    def conversation_with(self, page_id: str, user_id: str) -> str | None:
        with self.lock:
            return self._threads.get((page_id, user_id))

    def message_ids(self, conversation_id: str) -> list[str]:
        with self.lock:
            return list(self.conversations[conversation_id].message_ids)

    def last_message(self, conversation_id: str, from_user: bool = False) -> MessageRecord | None:
        """The newest message of a thread (only the user's messages when from_user)."""
        with self.lock:
            found: MessageRecord | None = None
            for message_id in self.conversations[conversation_id].message_ids:
                message = self.messages[message_id]
                if from_user and message.from_page:
                    continue
                if found is None or (message.created, message.seq) > (found.created, found.seq):
                    found = message
            return found

    # lookups and ground truth -------------------------------------------------------------
    def lookup(self, object_id: str) -> GraphRecord | None:
        """Any live object by id; deleted comments and posts are gone."""
        with self.lock:
            for table in (self.pages, self.posts, self.comments, self.conversations, self.messages):
                record = table.get(object_id)
                if record is not None:
                    deleted = getattr(record, "deleted", False)
                    return None if deleted else record
            return None

    def post_ids(self, page_id: str) -> list[str]:
        with self.lock:
            return [p for p in self.page_posts[page_id] if not self.posts[p].deleted]

    def comment_ids(self, post_id: str) -> list[str]:
        with self.lock:
            post = self.posts[post_id]
            return [c for c in post.comment_ids if not self.comments[c].deleted]

    def conversation_ids(self, page_id: str) -> list[str]:
        with self.lock:
            return [c.id for c in self.conversations.values() if c.page_id == page_id]

    def citizen_items(self, page_id: str | None = None) -> set[ItemKey]:
        return self._items(page_id, include_deleted=False)

    def all_items_ever(self, page_id: str | None = None) -> set[ItemKey]:
        return self._items(page_id, include_deleted=True)

    def _items(self, page_id: str | None, include_deleted: bool) -> set[ItemKey]:
        with self.lock:
            items: set[ItemKey] = set()
            for comment in self.comments.values():
                keep = include_deleted or not comment.deleted
                if keep and not comment.by_page and page_id in (None, comment.page_id):
                    items.add(("facebook_comment", comment.id))
            for post in self.posts.values():
                keep = include_deleted or not post.deleted
                if keep and not post.by_page and page_id in (None, post.page_id):
                    items.add(("facebook_post", post.id))
            for message in self.messages.values():
                thread = self.conversations[message.conversation_id]
                if not message.from_page and page_id in (None, thread.page_id):
                    items.add(("facebook_message", message.id))
            return items

    def record_sent(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self._sent.append(dict(entry))

    def sent_by_page(self, page_id: str | None = None) -> list[dict[str, Any]]:
        """What the Page sent through the API: kind, id, page_id, target, message, ..."""
        with self.lock:
            return [dict(e) for e in self._sent if page_id in (None, e["page_id"])]
