"""Walking one comment thread or conversation, newest first, committing page by page.

Exactly once: every page of items is committed together with the state that says it was
stored, and the walk stops only at a page that is older than the last committed mark and
already stored (never at the newest stored item), so a crash anywhere means the next walk goes
back to the last committed point and the unique key drops what it reads twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from config.settings import PageSettings, PollSettings
from monitor.errors import GraphError
from monitor.governor import Governor
from monitor.graph import GraphClient, GraphResponse
from monitor.normalize import PayloadError
from storage import poll_state as state
from storage.ingest import IngestPolicy, ingest
from storage.records import ItemRecord

log = logging.getLogger("pakn.monitor")
MAX_THREAD_PAGES = 2000


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


@dataclass
class PollCounts:
    inserted: int = 0
    edited: int = 0
    rejected: int = 0
    deleted: int = 0
    new_item_ids: list[int] = field(default_factory=list)


class ThreadWalker:
    """Walks one comment thread or conversation, newest first, committing page by page."""

    def __init__(self, ctx: PollContext, page: PageSettings, unit_id: str, counts: PollCounts):
        self.ctx, self.page, self.unit_id, self.counts = ctx, page, unit_id, counts
        self.token = page.access_token.reveal()

    def checkpoint(self) -> None:
        """Between two units of work: stop if asked, and renew the lease."""
        if self.ctx.stop.is_set():
            raise StopRequested
        self.ctx.heartbeat(self.page.id)

    def walk(
        self,
        first: Callable[[], GraphResponse],
        parse: Callable[[Any], ItemRecord],
        source: str,
        stop_before: datetime | None,
        finish: Callable[[Session, set[str], list[ItemRecord]], None],
    ) -> None:
        """Store every item down to ``stop_before``; ``finish`` runs in the last transaction.

        The walk ends at the last page, or at a page whose items are all older than
        ``stop_before`` and already stored. An empty page that still has ``next`` is not the
        end. A cursor invalidated by a deletion restarts the walk once from the newest item.
        """
        for attempt in range(2):
            try:
                self._walk_once(first, parse, source, stop_before, finish)
                return
            except GraphError as err:
                if attempt == 0 and err.code == 100 and err.subcode is None:
                    log.info("trang %s: con trỏ hết hiệu lực, duyệt lại từ đầu", self.page.id)
                    continue
                raise

    def _walk_once(
        self,
        first: Callable[[], GraphResponse],
        parse: Callable[[Any], ItemRecord],
        source: str,
        stop_before: datetime | None,
        finish: Callable[[Session, set[str], list[ItemRecord]], None],
    ) -> None:
        seen: set[str] = set()
        walked: list[ItemRecord] = []
        for resp in self.ctx.client.iterate(first(), self.token, MAX_THREAD_PAGES):
            self.checkpoint()
            records = self.parse_page(resp, parse)
            seen |= {r.external_id for r in records}
            walked += records
            now = self.ctx.clock()
            with self.ctx.sessions.begin() as session:
                known = state.known_ids(session, source, (r.external_id for r in records))
                self.store(session, records, now)
                last = is_last(resp, records, known, stop_before)
                if last:
                    finish(session, seen, walked)
            if last:
                return

    def parse_page(
        self, resp: GraphResponse, parse: Callable[[Any], ItemRecord]
    ) -> list[ItemRecord]:
        data = resp.data.get("data")
        if not isinstance(data, list):
            raise GraphError("transient", message="page without a data list")
        records: list[ItemRecord] = []
        bad: list[tuple[Any, str]] = []
        for obj in data:
            try:
                records.append(parse(obj))
            except PayloadError as exc:
                bad.append((obj, str(exc)))
        if bad:
            self.set_aside(bad)
        return records

    def set_aside(self, bad: Iterable[tuple[Any, str]]) -> None:
        now = self.ctx.clock()
        with self.ctx.sessions.begin() as session:
            for obj, reason in bad:
                log.warning("trang %s: bỏ riêng một đối tượng lỗi: %s", self.page.id, reason)
                state.reject(session, self.page.id, "graph_object", obj, reason, now)
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
