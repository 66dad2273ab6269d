"""The tables of the simulated Facebook and what every part of the world shares: the lock,
the clock, the seeded ids. `World` (world.py) adds pages and ground truth, content.py posts,
reels, photos and comments, conversations.py Messenger threads."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from simulator.behaviour import Behaviour
from simulator.budget import UsageMeter
from simulator.records import (
    CommentRecord,
    ConversationRecord,
    MessageRecord,
    PageRecord,
    PostRecord,
    as_utc,
)

Clock = Callable[[], datetime]
# What `World.subscribe` callbacks receive: {"type": "comment"|"post"|"message", "verb":
# "add"|"edited"|"remove"|"hide"|"unhide", "id", "page_id", "at"}.
WorldEvent = dict[str, Any]
Observer = Callable[[WorldEvent], None]
log = logging.getLogger("pakn.simulator")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class WorldState:
    """Every method of the world takes `lock`, so HTTP threads and a test thread can share it."""

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
        # Posts, reels and album photos, by id; the per-page lists keep creation order.
        self.posts: dict[str, PostRecord] = {}
        self.page_posts: dict[str, list[str]] = {}
        self.page_reels: dict[str, list[str]] = {}
        self.comments: dict[str, CommentRecord] = {}
        self.conversations: dict[str, ConversationRecord] = {}
        self._threads: dict[tuple[str, str], str] = {}
        self.messages: dict[str, MessageRecord] = {}
        self._sent: list[dict[str, Any]] = []
        self._observers: list[Observer] = []

    def subscribe(self, callback: Observer) -> Callable[[], None]:
        """Call `callback(event)` after every change a webhook would report (under the lock,
        so the callback sees the world as the change left it and must not block); returns the
        function that stops it."""
        with self.lock:
            self._observers.append(callback)

        def stop() -> None:
            with self.lock:
                if callback in self._observers:
                    self._observers.remove(callback)

        return stop

    def _emit(self, kind: str, verb: str, object_id: str, page_id: str) -> None:
        event = {"type": kind, "verb": verb, "id": object_id, "page_id": page_id, "at": self.now()}
        for callback in list(self._observers):
            try:
                callback(dict(event))
            except Exception:
                # An observer's bug must not undo or half-apply the change it was told about.
                log.exception("simulator: a world observer failed on %s %s", kind, verb)

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

    def _require_page(self, page_id: str) -> PageRecord:
        page = self.pages.get(page_id)
        if page is None:
            raise KeyError(f"unknown page {page_id}")
        return page
