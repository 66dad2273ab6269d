"""The daemon's side of webhooks: stored deliveries become targeted reads, then a poll now.

A delivery never carries what pakn stores: it only says where to look. For each target the
consumer marks the object "check now" (``poll_state.request_check``) or the page's inbox due,
records the event for page health, and marks the delivery consumed, all in one transaction; then
it asks the daemon to poll the pages concerned at once. The poll reads Graph through the same
pollers and ``ingest()`` as every cycle, so an item is stored once whichever path saw it first,
and a consumer killed at any point loses nothing: an unconsumed delivery is claimed again when
its lease ends, and a "check now" mark stays until the object is read. Deliveries that are not a
page webhook are set aside with the reason; events for pages pakn does not watch are recorded
and ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from monitor.webhook_events import MalformedDelivery, Reading, Target, read_delivery
from storage import poll_state
from storage import webhooks as store

log = logging.getLogger("pakn.monitor")
LEASE = timedelta(minutes=2)
BATCH = 50

PollNow = Callable[[Collection[str], Collection[str]], object]


@dataclass
class Consumed:
    """What one run did: deliveries by outcome, and the pages to poll now."""

    consumed: int = 0
    ignored: int = 0
    set_aside: int = 0
    feed_pages: set[str] = field(default_factory=set)
    inbox_pages: set[str] = field(default_factory=set)


class WebhookConsumer:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime],
        owner: str,
        poll_now: PollNow,
    ) -> None:
        self.sessions, self.clock, self.owner, self.poll_now = sessions, clock, owner, poll_now
        self.pages = {p.id: p for p in settings.pages}

    def run(self) -> Consumed:
        """Consume what is waiting (up to BATCH deliveries), then poll the pages concerned."""
        done = Consumed()
        with self.sessions.begin() as session:
            claimed = [
                (d.id, d.body)
                for d in store.claim_new(session, self.owner, self.clock(), LEASE, BATCH)
            ]
        for delivery_id, body in claimed:
            self._consume(delivery_id, bytes(body), done)
        if done.feed_pages or done.inbox_pages:
            self.poll_now(done.feed_pages, done.inbox_pages)
        return done

    def _consume(self, delivery_id: int, body: bytes, done: Consumed) -> None:
        now = self.clock()
        try:
            reading = read_delivery(body)
        except MalformedDelivery as exc:
            with self.sessions.begin() as session:
                store.finish(session, delivery_id, self.owner, "set_aside", now, str(exc))
            log.warning("webhook %s để riêng: %s", delivery_id, exc)
            done.set_aside += 1
            return
        ours = [t for t in reading.targets if t.page_id in self.pages]
        with self.sessions.begin() as session:
            for target in ours:
                self._mark(session, target, now, done)
            store.note_events(session, {t.page_id for t in ours}, now)
            status = "consumed" if ours else "ignored"
            if store.finish(session, delivery_id, self.owner, status, now, _reason(reading, ours)):
                done.consumed += status == "consumed"
                done.ignored += status == "ignored"

    def _mark(self, session: Session, target: Target, now: datetime, done: Consumed) -> None:
        page = self.pages[target.page_id]
        if target.kind == "conversation":
            if page.messenger:
                done.inbox_pages.add(page.id)
            return
        if not page.comments:
            return
        # An unknown object (a new visitor post, a reel not listed yet) is found by the
        # discovery step of the poll that follows: the page's feed and reels are read first.
        poll_state.request_check(session, target.object_id, now)
        done.feed_pages.add(page.id)


def _reason(reading: Reading, ours: list[Target]) -> str | None:
    notes = list(reading.skipped)
    others = sorted({t.page_id for t in reading.targets} - {t.page_id for t in ours})
    if others:
        notes.append(f"trang không theo dõi: {', '.join(others)}")
    return "; ".join(notes)[:2000] or None
