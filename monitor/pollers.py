"""Per-page polling: the feed and its comments, the Messenger inbox, deletion checks.

Exactly once: every batch of items is committed together with the state that says it was
stored (a post's or conversation's ``processed_updated_time``, the page watermarks), and the
stop rules look at that committed state, never at the newest stored item. A crash anywhere
means the next run walks back to the last committed point and the unique key drops repeats.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

from sqlalchemy.orm import Session, sessionmaker

from config.settings import PageSettings, PollSettings
from monitor.errors import GraphError
from monitor.governor import Governor
from monitor.graph import BatchOp, GraphClient, GraphResponse
from monitor.normalize import PayloadError, comment_record, message_record, parse_time
from storage import poll_state as state
from storage.ingest import IngestPolicy, ingest
from storage.records import ConversationInfo, ItemRecord

log = logging.getLogger("pakn.monitor")

FEED_FIELDS = (
    "id,created_time,updated_time,message,from{id,name},permalink_url,is_published,"
    "status_type,attachments{type,url,media}"
)
COMMENT_FIELDS = (
    "id,message,created_time,from{id,name},parent{id},attachment,permalink_url,is_hidden,"
    "comment_count"
)
CONVERSATION_FIELDS = "id,updated_time,participants"
MESSAGE_FIELDS = "id,created_time,from,to,message,attachments"
DELETE_CONFIRMATIONS = 2
BATCH_LIMIT = 50  # Meta's maximum operations per batch request
MAX_THREAD_PAGES = 2000


@dataclass(frozen=True)
class PostWork:
    """A post whose comments must be read: its current and its fully processed updated_time."""

    id: str
    updated: datetime
    processed: datetime | None


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


def feed_request(page: PageSettings, poll: PollSettings) -> tuple[str, dict[str, Any]]:
    return f"{page.id}/feed", {"fields": FEED_FIELDS, "limit": poll.feed_page_limit}


def conversations_request(page: PageSettings, poll: PollSettings) -> tuple[str, dict[str, Any]]:
    params = {"platform": "messenger", "fields": CONVERSATION_FIELDS, "limit": 25}
    return f"{page.id}/conversations", params


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
    if not _has_next(resp):
        return True
    if not records or stop_before is None:
        return False
    older = all(r.created_time < stop_before for r in records)
    return older and known >= {r.external_id for r in records}


def _has_next(resp: GraphResponse) -> bool:
    paging = resp.data.get("paging")
    return isinstance(paging, dict) and isinstance(paging.get("next"), str)


class CommentWalker(ThreadWalker):
    PARAMS: ClassVar[dict[str, str]] = {
        "filter": "stream",  # the default "toplevel" filter hides replies
        "order": "reverse_chronological",
        "fields": COMMENT_FIELDS,
    }

    def params(self) -> dict[str, Any]:
        return {**self.PARAMS, "limit": self.ctx.poll.comments_page_limit}

    def comments_many(self, posts: Sequence[PostWork], *, full: bool) -> None:
        """Read many posts' comments: their first pages come in batches of 50 in one request,
        and every post whose comments fit on that page is stored in one transaction."""
        for start in range(0, len(posts), BATCH_LIMIT):
            self.checkpoint()
            chunk = posts[start : start + BATCH_LIMIT]
            firsts = self._first_pages([post.id for post in chunk])
            done: list[tuple[PostWork, list[ItemRecord]]] = []
            for post, resp in zip(chunk, firsts, strict=True):
                if isinstance(resp, GraphError):
                    if not resp.object_missing:
                        raise resp
                    done.append((post, []))  # the post itself is gone; its comments stay stored
                elif _has_next(resp):
                    self.comments(post.id, post.updated, post.processed, full=full, first=resp)
                else:
                    done.append((post, self.parse_page(resp, self._parser(post.id))))
            if done:
                self._store_whole_threads(done, full=full)

    def _first_pages(self, post_ids: list[str]) -> list[GraphResponse | GraphError]:
        query = urlencode(self.params())
        if len(post_ids) == 1 or not self.ctx.batch:
            return [self._get_or_error(f"{pid}/comments", self.params()) for pid in post_ids]
        ops = [BatchOp(f"{pid}/comments?{query}", self.token) for pid in post_ids]
        return self.ctx.client.batch(ops, self.token)

    def _get_or_error(self, path: str, params: dict[str, Any]) -> GraphResponse | GraphError:
        try:
            return self.ctx.client.get(path, self.token, params)
        except GraphError as err:
            return err

    def _store_whole_threads(
        self, done: list[tuple[PostWork, list[ItemRecord]]], *, full: bool
    ) -> None:
        suspects: list[str] = []
        now = self.ctx.clock()
        with self.ctx.sessions.begin() as session:
            self.store(session, [r for _post, records in done for r in records], now)
            for post, records in done:
                scan = now if full else None
                state.mark_post_processed(session, post.id, post.updated, full_scan_at=scan)
                if full:
                    seen = {r.external_id for r in records}
                    suspects += sorted(state.live_comment_ids(session, post.id) - seen)
        for external_id in suspects:
            self.confirm_missing(external_id)

    def _parser(self, post_id: str) -> Callable[[Any], ItemRecord]:
        def parse(obj: Any) -> ItemRecord:
            return comment_record(obj, page_id=self.page.id, unit_id=self.unit_id, post_id=post_id)

        return parse

    def comments(
        self,
        post_id: str,
        updated: datetime,
        processed: datetime | None,
        *,
        full: bool,
        first: GraphResponse | None = None,
    ) -> None:
        overlap = timedelta(minutes=self.ctx.poll.overlap_minutes)
        stop_before = None if full or processed is None else processed - overlap
        given = [first]

        def fetch_first() -> GraphResponse:
            # The batch already brought page one; a restart after a bad cursor fetches it anew.
            resp = given.pop() if given and given[0] is not None else None
            return resp or self.ctx.client.get(f"{post_id}/comments", self.token, self.params())

        suspects: list[str] = []

        def finish(session: Session, seen: set[str], _walked: list[ItemRecord]) -> None:
            now = self.ctx.clock()
            state.mark_post_processed(session, post_id, updated, full_scan_at=now if full else None)
            if full:
                suspects.extend(sorted(state.live_comment_ids(session, post_id) - seen))

        self.walk(fetch_first, self._parser(post_id), "facebook_comment", stop_before, finish)
        for external_id in suspects:
            self.confirm_missing(external_id)

    def confirm_missing(self, external_id: str) -> None:
        """Ask for the comment itself; only 'does not exist' twice in a row marks it deleted."""
        self.checkpoint()
        try:
            self.ctx.client.get(external_id, self.token, {"fields": "id"})
        except GraphError as err:
            if not err.object_missing:
                raise
            with self.ctx.sessions.begin() as session:
                now = self.ctx.clock()
                if state.note_missing(session, external_id, now, DELETE_CONFIRMATIONS):
                    self.counts.deleted += 1
            return
        with self.ctx.sessions.begin() as session:
            state.clear_missing(session, external_id)


class MessageWalker(ThreadWalker):
    def messages(self, info: ConversationInfo, processed: datetime | None) -> None:
        overlap = timedelta(minutes=self.ctx.poll.overlap_minutes)
        stop_before = None if processed is None else processed - overlap
        params = {"fields": MESSAGE_FIELDS, "limit": 25}

        def first() -> GraphResponse:
            return self.ctx.client.get(f"{info.id}/messages", self.token, params)

        def parse(obj: Any) -> ItemRecord:
            return message_record(
                obj, page_id=self.page.id, unit_id=self.unit_id, conversation_id=info.id
            )

        def finish(session: Session, _seen: set[str], walked: list[ItemRecord]) -> None:
            citizen = [r.created_time for r in walked if not r.by_page]
            state.mark_conversation_processed(session, info, max(citizen, default=None))

        self.walk(first, parse, "facebook_message", stop_before, finish)


def conversation_info(obj: Any, page_id: str) -> ConversationInfo:
    if not isinstance(obj, dict) or not obj.get("id"):
        raise PayloadError("cuộc hội thoại không có id")
    people = (
        obj.get("participants", {}).get("data", [])
        if isinstance(obj.get("participants"), dict)
        else []
    )
    citizen = next((p for p in people if isinstance(p, dict) and str(p.get("id")) != page_id), {})
    return ConversationInfo(
        id=str(obj["id"]),
        page_id=page_id,
        updated_time=parse_time(obj.get("updated_time")),
        participant_id=str(citizen["id"]) if citizen.get("id") else None,
        participant_name=citizen.get("name"),
    )
