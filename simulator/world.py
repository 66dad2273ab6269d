"""The simulated Facebook: Pages and their tokens, what the app may do on them, and the
ground truth tests compare pakn against. Content lives in content.py (posts, reels, album
photos, comments) and conversations.py (Messenger); shared tables in state.py.
"""

from __future__ import annotations

from typing import Any

from simulator.content import ContentMixin
from simulator.conversations import MessengerMixin
from simulator.records import GraphRecord, Page, PageRecord, PostRecord
from simulator.state import Clock

__all__ = ["Clock", "ItemKey", "World"]

ItemKey = tuple[str, str]


class World(ContentMixin, MessengerMixin):
    """`World(clock=..., seed=..., app_secret=..., behaviour=Behaviour(...))`."""

    # pages and tokens ---------------------------------------------------------------------
    def add_page(self, page_id: str, name: str, token: str, *, from_hidden: bool = False) -> Page:
        """A Page the app manages. `from_hidden` drops `from` on citizens' comments, as
        Meta does for an app without Advanced Access."""
        with self.lock:
            if page_id in self.pages:
                raise ValueError(f"page {page_id} already exists")
            self.pages[page_id] = PageRecord(page_id, name, token, from_hidden=from_hidden)
            self.page_posts[page_id] = []
            self.page_reels[page_id] = []
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

    def set_from_hidden(self, page_id: str, hidden: bool = True) -> None:
        with self.lock:
            self._require_page(page_id).from_hidden = hidden

    # budgets ------------------------------------------------------------------------------
    def set_budget(self, page_id: str, calls_per_window: int, window_seconds: float) -> None:
        """The Page's `pages` budget (Pages API calls with its token)."""
        with self.lock:
            self.meter.set_budget(page_id, "pages", calls_per_window, window_seconds)

    def set_messenger_budget(
        self, page_id: str, calls_per_window: int, window_seconds: float
    ) -> None:
        """The Page's `messenger` budget, separate from the `pages` one."""
        with self.lock:
            self.meter.set_budget(page_id, "messenger", calls_per_window, window_seconds)

    def set_conversation_rate(self, per_second: int | None) -> None:
        """Conversations API calls allowed per second per Page (Meta: 2); None for no limit.

        Measured on the world's clock: a test whose clock stands still gets at most this many
        thread reads per Page until it moves the clock on.
        """
        if per_second is not None and per_second < 1:
            raise ValueError("per_second must be at least 1, or None for no limit")
        with self.lock:
            self.meter.conversations_per_second = per_second

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

    def citizen_items(self, page_id: str | None = None) -> set[ItemKey]:
        """Every citizen item that exists now: comments and replies on posts, reels and album
        photos, visitor posts, and messages in every inbox folder."""
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
                # Reels and album photos are media, never a citizen's own post.
                keep = type(post) is PostRecord and (include_deleted or not post.deleted)
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
