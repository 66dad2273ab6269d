"""The feed unit of one page's poll: discover objects, check the due ones, read what changed.

1. Discovery (monitor/discovery.py): the page node with its first feed and reels pages, in one
   call; the feed ranges not listed yet, on the first run the whole ``poll.watch_days``.
2. Reconciliation (monitor/reconcile.py): multi-id checks of the objects due by age.
3. Reads (monitor/pollers.py): every object whose count or ``updated_time`` moved, each on
   its own; a failing object is backed off alone.
4. Deletion checks of suspected comments, and every ``poll.sweep_interval_minutes`` a sweep of
   the last ``poll.sweep_window_days``: the feed listed again (a post may appear late in a range
   already listed) and the objects with comments re-read in full (edits and deletions move
   neither the count reliably nor ``updated_time``).

The daemon runs steps 1 and 2 for all pages in batches (monitor/daemon.py); this class is also
complete on its own (``answers`` None: each step fetches for itself).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from config.settings import PageSettings
from monitor.discovery import Discovery, FirstPage, discovery_request
from monitor.pollers import CommentWalker, ObjectRead
from monitor.reconcile import Answer, Reconciler, Tiers, needs_read, webhook_slowdown
from monitor.threads import PollContext, PollCounts
from storage import poll_state as state
from storage.records import WatchedObject

log = logging.getLogger("pakn.monitor")
MAX_SUSPECT_CHECKS = 20
MAX_DIRTY_PER_CYCLE = 5000

__all__ = ["FeedPoll", "FirstPage", "discovery_request"]


class FeedPoll:
    def __init__(
        self,
        ctx: PollContext,
        page: PageSettings,
        unit_id: str,
        counts: PollCounts,
        cycle_start: datetime,
    ) -> None:
        self.ctx, self.page, self.cycle_start = ctx, page, cycle_start
        self.level = ctx.governor.level(page.id, "pages")
        self.tiers = Tiers(ctx.poll, webhook_slowdown(ctx, page.id), ctx.cycle)
        self.walker = CommentWalker(ctx, page, unit_id, counts)
        self.reconciler = Reconciler(ctx, page, self.tiers, counts)
        self.discovery = Discovery(
            ctx,
            page,
            self.walker,
            needs_read=lambda obj: needs_read(obj, ctx.clock()),
            next_check=self.reconciler.next_check,
        )
        self.chunks: list[list[WatchedObject]] = []

    def discover(self, first: FirstPage = None) -> None:
        self.discovery.run(first)

    def checks(self) -> list[list[WatchedObject]]:
        """The multi-id checks this cycle needs (above 75 % usage: the hot tier only)."""
        self.chunks = self.reconciler.due(self.cycle_start, hot_only=self.level == "essential")
        return self.chunks

    def finish(self, answers: Sequence[Answer] | None = None) -> None:
        reads = dict(self.discovery.reads)
        for obj in self._dirty():
            reads.setdefault(obj.id, ObjectRead(obj))
        answered = list(answers) if answers is not None else [None] * len(self.chunks)
        for obj in self.reconciler.apply(self.chunks, answered):
            reads.setdefault(obj.id, ObjectRead(obj))
        self.walker.read_many(list(reads.values()))
        self.recheck_suspects()
        if self.level == "normal":
            self.sweep_if_due()

    def _dirty(self) -> list[WatchedObject]:
        """Objects an earlier poll found changed but stopped before reading (a crash, a stop)."""
        now = self.ctx.clock()
        with self.ctx.sessions.begin() as session:
            return state.dirty_objects(
                session,
                self.page.id,
                watched_since=now - timedelta(days=self.ctx.poll.watch_days),
                now=now,
                limit=MAX_DIRTY_PER_CYCLE,
            )

    def run(self, first: FirstPage = None) -> None:
        """The whole unit, fetching everything itself."""
        self.discover(first)
        self.checks()
        self.finish()

    def sweep_if_due(self) -> None:
        now = self.ctx.clock()
        with self.ctx.sessions.begin() as session:
            row = state.page_row(session, self.page.id)
            last = row.last_sweep_at if row is not None else None
            if last is None:
                # The first poll read every object in full: that was the first sweep.
                state.set_page_watermark(session, self.page.id, swept_at=now)
                return
        if now - last < timedelta(minutes=self.ctx.poll.sweep_interval_minutes):
            return
        since = now - timedelta(days=self.ctx.poll.sweep_window_days)
        found = self.discovery.relist(since)
        with self.ctx.sessions.begin() as session:
            objects = state.objects_for_sweep(session, self.page.id, since)
        reads = {o.id: ObjectRead(o, full=True) for o in objects if needs_sweep(o, now)}
        for read in found:
            reads.setdefault(read.id, read)
        self.walker.read_many(list(reads.values()))
        with self.ctx.sessions.begin() as session:
            state.set_page_watermark(session, self.page.id, swept_at=now)

    def recheck_suspects(self) -> None:
        with self.ctx.sessions.begin() as session:
            suspects = state.suspected_missing(session, self.page.id)
        for external_id in suspects[:MAX_SUSPECT_CHECKS]:
            self.walker.confirm_missing(external_id)


def needs_sweep(obj: WatchedObject, now: datetime) -> bool:
    """Objects backing off after failures wait for their retry, sweep or not."""
    return not (obj.failures > 0 and obj.next_check_at is not None and obj.next_check_at > now)
