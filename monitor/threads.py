"""Walking one comment thread or conversation, committing page by page.

Exactly once: every page of items is committed together with the state that says it was
stored, and ``finish`` (which moves the object's "read up to" mark) runs in the transaction of
the last page, so a crash anywhere means the next walk goes back to the last committed point and
the unique key drops what it reads twice.

Comment streams are walked to the end (Meta serves them oldest first whatever ``order`` says);
only a walk that asks for ``stop_before`` (Messenger, newest first) may end early, at a page that
is wholly older than the mark and already stored, and only while the pages really come newest
first.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from config.settings import PageSettings, PollSettings
from monitor.errors import GraphError
from monitor.governor import Governor
from monitor.graph import GraphClient, GraphResponse
from monitor.normalize import PayloadError, repairing
from storage import poll_state as state
from storage.ingest import IngestPolicy, ingest
from storage.records import ItemRecord
from storage.rejections import reason_name

log = logging.getLogger("pakn.monitor")
MAX_THREAD_PAGES = 2000
# rejected_payloads.kind: an object not stored, and one stored after a repair.
REJECTED = "graph_object"
REPAIRED = "repaired"
Finish = Callable[[Session, set[str], list[ItemRecord]], None]


class StopRequested(Exception):  # noqa: N818 - a signal, not an error
    """The daemon was asked to stop; everything committed so far is consistent."""


@dataclass
class PollContext:
    client: GraphClient
    governor: Governor
    sessions: sessionmaker[Session]
    policy: IngestPolicy
    poll: PollSettings
    clock: Callable[[], datetime]
    stop: threading.Event = field(default_factory=threading.Event)
    batch: bool = True
    # Called between pages of results: keeps this daemon's lease on the page alive.
    heartbeat: Callable[[str], None] = lambda _page_id: None
    # Called before each Messenger call of a page (Meta allows 2 per second per page).
    pace: Callable[[str], None] = lambda _page_id: None
    # Messenger folders that refused a listing, per page: not asked again by this daemon.
    closed_folders: set[tuple[str, str]] = field(default_factory=set)
    # Pages whose token may not list reels (video_reels refused): their feed is read alone.
    reels_refused: set[str] = field(default_factory=set)
    # ``webhooks.reconcile_slowdown`` when webhooks are on (else 1), and the poll cycle's
    # length: while a page's webhooks are healthy its checks are that many times rarer.
    webhook_slowdown: int = 1
    cycle: timedelta = timedelta(seconds=60)


@dataclass
class PollCounts:
    inserted: int = 0
    edited: int = 0
    rejected: int = 0
    deleted: int = 0
    failed_objects: int = 0
    new_item_ids: list[int] = field(default_factory=list)


class ThreadWalker:
    """Walks one comment thread or conversation, committing page by page."""

    messenger = False

    def __init__(self, ctx: PollContext, page: PageSettings, unit_id: str, counts: PollCounts):
        self.ctx, self.page, self.unit_id, self.counts = ctx, page, unit_id, counts
        self.token = page.access_token.reveal()

    def checkpoint(self) -> None:
        """Between two units of work: stop if asked, and renew the lease."""
        if self.ctx.stop.is_set():
            raise StopRequested
        self.ctx.heartbeat(self.page.id)

    def get(self, path: str, params: dict[str, Any]) -> GraphResponse:
        if self.messenger:
            self.ctx.pace(self.page.id)
        return self.ctx.client.get(path, self.token, params)

    def follow(self, resp: GraphResponse) -> GraphResponse | None:
        paging = resp.data.get("paging")
        next_url = paging.get("next") if isinstance(paging, dict) else None
        if not isinstance(next_url, str):
            return None
        if self.messenger:
            self.ctx.pace(self.page.id)
        return self.ctx.client.follow(next_url, self.token)

    def walk(
        self,
        first: GraphResponse,
        parse: Callable[[Any], ItemRecord],
        source: str,
        finish: Finish,
        *,
        stop_before: datetime | None = None,
        seen: set[str] | None = None,
        walked: list[ItemRecord] | None = None,
    ) -> None:
        """Store every page from ``first`` on; ``finish`` runs in the last page's transaction.

        ``seen`` and ``walked`` carry over from an earlier part of the same read (a walk
        resumed after a cursor error). An empty page that still has ``next`` is not the end.
        """
        seen = set() if seen is None else seen
        walked = [] if walked is None else walked
        newest_first = True
        previous: datetime | None = None
        resp: GraphResponse | None = first
        for _page_number in range(MAX_THREAD_PAGES):
            if resp is None:
                break
            self.checkpoint()
            records = self.parse_page(resp, parse)
            times = [r.created_time for r in records]
            if previous is not None:
                times = [previous, *times]
            # The early stop holds only while the pages really come newest first.
            newest_first = newest_first and all(a >= b for a, b in pairwise(times))
            previous = times[-1] if times else previous
            seen |= {r.external_id for r in records}
            walked += records
            now = self.ctx.clock()
            with self.ctx.sessions.begin() as session:
                known = state.known_ids(session, source, (r.external_id for r in records))
                self.store(session, records, now)
                bound = stop_before if newest_first else None
                last = is_last(resp, records, known, bound)
                if last:
                    finish(session, seen, walked)
            if last:
                return
            resp = self.follow(resp)
        raise GraphError("transient", message="thread longer than the walk allows")

    def parse_page(
        self, resp: GraphResponse, parse: Callable[[Any], ItemRecord]
    ) -> list[ItemRecord]:
        data = resp.data.get("data")
        if not isinstance(data, list):
            raise GraphError("transient", message="page without a data list")
        records: list[ItemRecord] = []
        bad: list[tuple[Any, str]] = []
        repaired: list[tuple[Any, str]] = []
        seen: set[str] = set()
        now = self.ctx.clock()
        for obj in data:
            try:
                with repairing(now) as notes:
                    record = parse(obj)
            except PayloadError as exc:
                bad.append((obj, str(exc)))
                continue
            except RecursionError:  # a shape no guard foresaw must not stop the page
                bad.append((obj, "đối tượng lồng quá sâu"))
                continue
            if notes:
                repaired.append((obj, "; ".join(dict.fromkeys(notes))))
            if record.external_id not in seen:  # the same id twice on one page: once
                seen.add(record.external_id)
                records.append(record)
        self.set_aside(bad)
        self.set_aside(repaired, kind=REPAIRED)
        return records

    def set_aside(self, bad: Iterable[tuple[Any, str]], kind: str = REJECTED) -> None:
        """Keep objects verbatim with the reason: ``graph_object`` ones were not stored,
        ``repaired`` ones were stored as repaired (a time clamped, a NUL removed)."""
        bad = list(bad)
        if not bad:
            return
        now = self.ctx.clock()
        with self.ctx.sessions.begin() as session:
            for obj, reason in bad:
                # The kind of reason only: a reason may quote the object (a name, a token).
                why = reason_name(reason)
                log.warning("trang %s: đối tượng lỗi (%s): %s", self.page.id, kind, why)
                state.reject(session, self.page.id, kind, obj, reason, now)
                if kind == REJECTED:
                    self.counts.rejected += 1

    def store(self, session: Session, records: list[ItemRecord], now: datetime) -> None:
        result = ingest(session, records, now=now, policy=self.ctx.policy)
        self.counts.inserted += len(result.inserted)
        self.counts.edited += len(result.edited)
        self.counts.new_item_ids += result.inserted


def is_last(
    resp: GraphResponse, records: list[ItemRecord], known: set[str], stop_before: datetime | None
) -> bool:
    """The end of a walk: no next page, or a page wholly older than the mark and all stored."""
    if not has_next(resp):
        return True
    if not records or stop_before is None:
        return False
    older = all(r.created_time < stop_before for r in records)
    return older and known >= {r.external_id for r in records}


def has_next(resp: GraphResponse) -> bool:
    paging = resp.data.get("paging")
    return isinstance(paging, dict) and isinstance(paging.get("next"), str)
