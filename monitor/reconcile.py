"""Reconciliation: is any known post, reel or album photo carrying comments we have not read?

Every object younger than ``poll.watch_days`` has its own next check, by age: up to
``poll.hot_days`` every cycle (the first feed page already covers the newest posts), up to
``poll.warm_days`` every ``poll.warm_check_minutes``, older ones every
``poll.cold_check_minutes``. One multi-id read (``GET /?ids=…``, up to 50 ids) answers
``updated_time`` and the comment count (replies included) of 50 objects. An object is read when
either moved: a reply or a photo comment may leave ``updated_time`` alone, the count still
moves. Album photos younger than ``poll.hot_days`` go with the warm tier (the first feed page
cannot show their comments, and they draw few). A read that would carry fewer than 50 ids
takes along the checks due within a sixth of their own interval, so the requests stay full.

While the page's webhooks are healthy, ``webhooks.reconcile_slowdown`` stretches these
intervals (``Tiers``, ``webhook_slowdown``); the first feed page is still read every cycle, and a
webhook's "check now" makes its object due at once either way.

Meta may fail a whole multi-id read for one id that is gone (code 100) or leave that id out:
either way the read is split until the culprit is alone, and that object is noted missing (gone
after two answers in a row) or backed off with its error, alone.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from config.settings import PageSettings, PollSettings
from monitor.errors import GraphError
from monitor.graph import GraphResponse
from monitor.normalize import PayloadError, comment_count, parse_time, repairing
from monitor.pollers import BACKOFF_FIRST, DELETE_CONFIRMATIONS, backoff, unit_stopper
from monitor.threads import PollContext, PollCounts
from storage import poll_state as state
from storage import webhooks
from storage.records import WatchedObject

log = logging.getLogger("pakn.monitor")

COUNT = "comments.filter(stream).limit(0).summary(true)"
CHECK_FIELDS = "updated_time," + COUNT
IDS_PER_READ = 50
FILL_SHARE = 6
# A year of a busy page (about 1,500 posts, reels and photos) fits in one cycle's checks.
MAX_CHECKS_PER_CYCLE = 2000
Answer = GraphResponse | GraphError | None


class Tiers:
    """When an object of a given age is checked again.

    ``slowdown`` (``webhooks.reconcile_slowdown``, used only while the page's webhooks are
    healthy: see ``webhook_slowdown``) multiplies the warm and cold intervals, and turns "every
    cycle" into every ``slowdown`` cycles (``cycle`` long each), never longer than the normal
    warm interval. 1 is the normal schedule.
    """

    def __init__(
        self, poll: PollSettings, slowdown: int = 1, cycle: timedelta = timedelta(0)
    ) -> None:
        self.poll = poll
        self.slowdown = max(1, slowdown)
        normal_warm = timedelta(minutes=poll.warm_check_minutes)
        self.warm = normal_warm * self.slowdown
        self.cold = timedelta(minutes=poll.cold_check_minutes) * self.slowdown
        self.hot = min(cycle * self.slowdown, normal_warm) if self.slowdown > 1 else timedelta(0)

    def interval(self, kind: str, created: datetime, now: datetime) -> timedelta:
        age = now - created
        if age <= timedelta(days=self.poll.hot_days):
            # Album photos draw few comments and the first feed page cannot show them: a
            # young photo is checked with the warm tier, not at every cycle.
            return self.warm if kind == "photo" else self.hot
        if age <= timedelta(days=self.poll.warm_days):
            return self.warm
        return self.cold

    def next_check(
        self, object_id: str, kind: str, created: datetime, now: datetime, first: bool
    ) -> datetime:
        interval = self.interval(kind, created, now)
        if first:
            # Spread the first schedule over the interval, so a page's old objects are not
            # all due in the same cycle an hour after the backfill.
            return now + interval * _spread(object_id)
        # Up to a tenth early: objects checked together (after an outage) drift apart again.
        return now + interval * (1 - _spread(f"{object_id}@{now.isoformat()}") / 10)


def webhook_slowdown(ctx: PollContext, page_id: str) -> int:
    """The factor this cycle's checks of the page are slowed by: ``ctx.webhook_slowdown`` while
    the page's webhooks are healthy (an event within ``storage.webhooks.SILENCE`` and no open
    silence), else 1. A page that is not healthy gets its normal intervals back at once: checks
    scheduled further away than one normal interval from now are brought forward to it."""
    if ctx.webhook_slowdown <= 1:
        return 1
    now = ctx.clock()
    with ctx.sessions.begin() as session:
        if webhooks.healthy(session, page_id, now):
            return ctx.webhook_slowdown
        normal = Tiers(ctx.poll)
        state.cap_next_checks(
            session,
            page_id,
            hot_since=now - timedelta(days=ctx.poll.hot_days),
            young_since=now - timedelta(days=ctx.poll.warm_days),
            hot_by=now + normal.hot,
            young_by=now + normal.warm,
            old_by=now + normal.cold,
        )
    return 1


def _spread(key: str) -> float:
    """A fraction in [0, 1) that depends only on ``key``: schedules that tests can replay."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") / 2**32


def needs_read(obj: WatchedObject, now: datetime) -> bool:
    """Comments to read: never fully read, or the count or updated_time moved since."""
    if obj.failures > 0 and obj.next_check_at is not None and obj.next_check_at > now:
        return False  # backing off after failures
    if obj.processed_comment_count is None:
        return True
    if obj.comment_count is not None and obj.comment_count != obj.processed_comment_count:
        return True
    done, seen = obj.processed_updated_time, obj.updated_time
    return done is not None and seen is not None and seen > done


class Reconciler:
    def __init__(
        self, ctx: PollContext, page: PageSettings, tiers: Tiers, counts: PollCounts
    ) -> None:
        self.ctx, self.page, self.tiers, self.counts = ctx, page, tiers, counts
        self.token = page.access_token.reveal()

    def due(self, cycle_start: datetime, hot_only: bool = False) -> list[list[WatchedObject]]:
        """This cycle's checks, in reads of up to 50 ids."""
        now = self.ctx.clock()
        days = self.ctx.poll.hot_days if hot_only else self.ctx.poll.watch_days
        with self.ctx.sessions.begin() as session:
            objects = state.due_objects(
                session,
                self.page.id,
                watched_since=now - timedelta(days=days),
                due_by=now,
                checked_before=cycle_start,
                limit=MAX_CHECKS_PER_CYCLE,
                batch=IDS_PER_READ,
                # A read that would carry fewer than 50 ids takes along the checks due within
                # a sixth of their tier's interval.
                young_since=now - timedelta(days=self.ctx.poll.warm_days),
                young_fill_until=now + self.tiers.warm / FILL_SHARE,
                old_fill_until=now + self.tiers.cold / FILL_SHARE,
            )
        return [objects[i : i + IDS_PER_READ] for i in range(0, len(objects), IDS_PER_READ)]

    @staticmethod
    def request(chunk: Sequence[WatchedObject]) -> tuple[str, dict[str, Any]]:
        return "", {"ids": ",".join(o.id for o in chunk), "fields": CHECK_FIELDS}

    def apply(
        self, chunks: Sequence[Sequence[WatchedObject]], answers: Sequence[Answer]
    ) -> list[WatchedObject]:
        """Record what each check saw; returns the objects whose comments must be read."""
        changed: list[WatchedObject] = []
        for chunk, answer in zip(chunks, answers, strict=True):
            if isinstance(answer, GraphResponse):
                changed += self._observed(chunk, answer)
            elif isinstance(answer, GraphError) and unit_stopper(answer):
                raise answer
            elif isinstance(answer, GraphError) and len(chunk) > 1:
                changed += self._split(chunk)
            else:
                changed += self._check(chunk)
        return changed

    def _check(self, chunk: Sequence[WatchedObject]) -> list[WatchedObject]:
        path, params = self.request(chunk)
        try:
            resp = self.ctx.client.get(path, self.token, params)
        except GraphError as err:
            if unit_stopper(err):
                raise
            if len(chunk) == 1:
                self._failed(chunk[0], err)
                return []
            return self._split(chunk)
        return self._observed(chunk, resp)

    def _split(self, chunk: Sequence[WatchedObject]) -> list[WatchedObject]:
        half = len(chunk) // 2
        return self._check(chunk[:half]) + self._check(chunk[half:])

    def _observed(self, chunk: Sequence[WatchedObject], resp: GraphResponse) -> list[WatchedObject]:
        now = self.ctx.clock()
        seen: list[tuple[str, datetime | None, int | None]] = []
        missing: list[WatchedObject] = []
        for obj in chunk:
            data = resp.data.get(obj.id)
            if not isinstance(data, dict):
                missing.append(obj)  # left out: gone or not readable
                continue
            try:
                with repairing(now):  # a far-future time reads as now: never a mark ahead
                    updated = parse_time(data["updated_time"]) if data.get("updated_time") else None
            except PayloadError:
                updated = None
            seen.append((obj.id, updated, comment_count(data)))
        with self.ctx.sessions.begin() as session:
            known = state.record_checks(session, seen, now, self.next_check)
            for obj in missing:
                state.object_missing(session, obj.id, now, DELETE_CONFIRMATIONS)
                retry = now + BACKOFF_FIRST
                state.object_failed(session, obj.id, now, "không có trong kết quả đọc", retry)
        return [obj for obj in known.values() if needs_read(obj, now)]

    def next_check(self, object_id: str, kind: str, created: datetime, first: bool) -> datetime:
        return self.tiers.next_check(object_id, kind, created, self.ctx.clock(), first)

    def _failed(self, obj: WatchedObject, err: GraphError) -> None:
        now = self.ctx.clock()
        with self.ctx.sessions.begin() as session:
            if err.code == 100:
                # "Does not exist" (100/33, or the multi-id read's "aliases do not exist").
                state.object_missing(session, obj.id, now, DELETE_CONFIRMATIONS)
            state.object_failed(
                session, obj.id, now, err.reason_vi(), now + backoff(obj.failures + 1)
            )
        self.counts.failed_objects += 1
        log.warning("trang %s: không kiểm tra được %s: %s", self.page.id, obj.id, err.short())
