"""Reading a watched object's comments and a conversation's messages, each on its own.

A post, reel or photo whose read fails is recorded with its error and backed off alone
(exponential, capped); the other objects of the page carry on. Only a throttling or token error
stops the whole unit (the page's feed, or its inbox), since every further call would fail too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from config.settings import PageSettings, PollSettings
from monitor.errors import GraphError
from monitor.graph import BatchOp, GraphResponse
from monitor.normalize import (
    MAX_AUTHOR_ID,
    MAX_NAME,
    PayloadError,
    checked_shape,
    clean_text,
    comment_record,
    message_record,
    object_id,
    parse_time,
)
from monitor.threads import ThreadWalker, has_next
from storage import poll_state as state
from storage.records import ConversationInfo, ItemRecord, WatchedObject

log = logging.getLogger("pakn.monitor")

COMMENT_FIELDS = (
    "id,message,created_time,from{id,name},parent{id},attachment,permalink_url,is_hidden,"
    "comment_count"
)
CONVERSATION_FIELDS = "id,updated_time,participants"
MESSAGE_FIELDS = "id,created_time,from,to,message,attachments,sticker,shares,story,is_unsupported"
DELETE_CONFIRMATIONS = 2
BATCH_LIMIT = 50  # Meta's maximum operations per batch request
# One object's failures back off from a minute, doubling, up to six hours.
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=6)
RESUMES = 20  # how often one read may resume after a cursor that went too deep
SAME_SECOND_MARGIN = timedelta(seconds=5)


def backoff(failures: int) -> timedelta:
    doubled: timedelta = BACKOFF_FIRST * 2 ** max(0, min(failures, 20) - 1)
    return min(BACKOFF_MAX, doubled)


def unit_stopper(err: GraphError) -> bool:
    """Errors that stop the whole unit instead of one object: every other call would fail."""
    return err.kind in ("throttled", "token")


@dataclass(frozen=True)
class ObjectRead:
    """An object whose comments must be read, with what the check saw (the read marks those
    values as done); ``full`` reads everything instead of from the last comment seen."""

    obj: WatchedObject
    full: bool = False

    @property
    def id(self) -> str:
        return self.obj.id


def conversations_request(
    page: PageSettings, folder: str | None = None
) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {"platform": "messenger", "fields": CONVERSATION_FIELDS, "limit": 25}
    if folder is not None:
        params["folder"] = folder
    return f"{page.id}/conversations", params


def comment_params(poll: PollSettings, since: datetime | None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "filter": "stream",  # the default "toplevel" filter hides replies
        "order": "chronological",  # what Meta serves a stream anyway; we never rely on it
        "summary": "true",
        "fields": COMMENT_FIELDS,
        "limit": poll.comments_page_limit,
    }
    if since is not None:
        params["since"] = int(since.timestamp())
    return params


class CommentWalker(ThreadWalker):
    def since(self, read: ObjectRead) -> datetime | None:
        seen = read.obj.comments_seen_until
        if read.full or seen is None or read.obj.processed_comment_count is None:
            return None
        return seen - timedelta(minutes=self.ctx.poll.overlap_minutes)

    def read_many(self, reads: Sequence[ObjectRead]) -> None:
        """Read many objects' comments: first pages come in batches of 50 in one request, and
        every object whose comments fit on that page is stored in one transaction."""
        for start in range(0, len(reads), BATCH_LIMIT):
            self.checkpoint()
            chunk = reads[start : start + BATCH_LIMIT]
            firsts = self._first_pages(chunk)
            done: list[tuple[ObjectRead, GraphResponse, list[ItemRecord]]] = []
            for read, resp in zip(chunk, firsts, strict=True):
                if isinstance(resp, GraphError):
                    self.failed(read.obj, resp)
                elif has_next(resp):
                    self.read_one(read, first=resp)
                else:
                    try:
                        records = self.parse_page(resp, self._parser(read.obj))
                    except GraphError as err:  # a page without a data list: this object's
                        self.failed(read.obj, err)
                        continue
                    done.append((read, resp, records))
            if done:
                self._store_whole_threads(done)

    def _first_pages(self, reads: Sequence[ObjectRead]) -> list[GraphResponse | GraphError]:
        if len(reads) == 1 or not self.ctx.batch:
            return [self._get_or_error(read) for read in reads]
        ops = [
            BatchOp(
                f"{r.id}/comments?{urlencode(comment_params(self.ctx.poll, self.since(r)))}",
                self.token,
            )
            for r in reads
        ]
        return self.ctx.client.batch(ops, self.token)

    def _get_or_error(self, read: ObjectRead) -> GraphResponse | GraphError:
        try:
            return self.get(f"{read.id}/comments", comment_params(self.ctx.poll, self.since(read)))
        except GraphError as err:
            return err

    def _store_whole_threads(
        self, done: list[tuple[ObjectRead, GraphResponse, list[ItemRecord]]]
    ) -> None:
        suspects: list[str] = []
        now = self.ctx.clock()
        with self.ctx.sessions.begin() as session:
            self.store(session, [r for _read, _resp, records in done for r in records], now)
            for read, resp, records in done:
                seen = {r.external_id for r in records}
                suspects += self._finish(session, read, resp, seen, records)
        self._after(suspects, [(read, resp) for read, resp, _ in done])

    def _finish(
        self,
        session: Session,
        read: ObjectRead,
        first: GraphResponse,
        seen: set[str],
        records: list[ItemRecord],
    ) -> list[str]:
        """Mark the object read (same transaction as its last comments); the suspects of a
        full read are stored comments the walk did not see."""
        now = self.ctx.clock()
        full = self.since(read) is None
        state.mark_object_read(
            session,
            read.id,
            updated_time=read.obj.updated_time,
            comment_count=_count(read.obj, first),
            seen_until=max((r.created_time for r in records), default=None),
            full_scan_at=now if full else None,
        )
        if not full:
            return []
        return sorted(state.live_comment_ids(session, read.id) - seen)

    def _after(self, suspects: list[str], reads: list[tuple[ObjectRead, GraphResponse]]) -> None:
        for external_id in suspects:
            self.confirm_missing(external_id)
        # A read from the last comment seen, and still fewer comments stored than Graph
        # counts (a late comment, a 'since' Meta did not honour): read everything once.
        again = []
        with self.ctx.sessions.begin() as session:
            for read, first in reads:
                count = _count(read.obj, first)
                incremental = self.since(read) is not None and count is not None
                if incremental and state.live_comment_count(session, read.id) < (count or 0):
                    again.append(ObjectRead(read.obj, full=True))
        for read in again:
            self.read_one(read)

    def read_one(self, read: ObjectRead, first: GraphResponse | None = None) -> None:
        """Walk one object's comments to the end; a failure is this object's alone."""
        try:
            self._walk(read, first)
        except GraphError as err:
            self.failed(read.obj, err)

    def _walk(self, read: ObjectRead, first: GraphResponse | None) -> None:
        seen: set[str] = set()
        walked: list[ItemRecord] = []
        since = self.since(read)
        params = comment_params(self.ctx.poll, since)
        resp = first or self.get(f"{read.id}/comments", params)
        head = resp
        suspects: list[str] = []

        def finish(session: Session, seen_ids: set[str], records: list[ItemRecord]) -> None:
            suspects.extend(self._finish(session, read, head, seen_ids, records))

        for _attempt in range(RESUMES):
            try:
                self.walk(
                    resp,
                    self._parser(read.obj),
                    "facebook_comment",
                    finish,
                    seen=seen,
                    walked=walked,
                )
                break
            except GraphError as err:
                resumed = self._resume(read, head, err, walked)
                if resumed is None:
                    raise
                resp = resumed
        self._after(suspects, [(read, head)])

    def _resume(
        self, read: ObjectRead, head: GraphResponse, err: GraphError, walked: list[ItemRecord]
    ) -> GraphResponse | None:
        """After a cursor that went too deep (code 100): go on from the newest comment read,
        with ``since``, when the stream is served oldest first (summary.order says so)."""
        if err.code != 100 or err.subcode is not None or not walked:
            return None
        if _order(head) not in ("chronological", None):
            return None
        newest = max(r.created_time for r in walked)
        log.info("trang %s: %s đọc tiếp từ %s (con trỏ quá sâu)", self.page.id, read.id, newest)
        return self.get(f"{read.id}/comments", comment_params(self.ctx.poll, newest))

    def failed(self, obj: WatchedObject, err: GraphError) -> None:
        """One object could not be read: record why and back it off; others carry on."""
        if unit_stopper(err):
            raise err
        now = self.ctx.clock()
        with self.ctx.sessions.begin() as session:
            if err.object_missing:
                state.object_missing(session, obj.id, now, DELETE_CONFIRMATIONS)
                # A post that is gone keeps its stored comments; checked again once.
                state.object_failed(session, obj.id, now, err.reason_vi(), now + BACKOFF_FIRST)
                return
            failures = obj.failures + 1
            state.object_failed(session, obj.id, now, err.reason_vi(), now + backoff(failures))
        self.counts.failed_objects += 1
        log.warning(
            "trang %s: không đọc được bình luận của %s: %s", self.page.id, obj.id, err.short()
        )

    def _parser(self, obj: WatchedObject) -> Any:
        def parse(raw: Any) -> ItemRecord:
            # A photo's comments live in the photo's thread; its post (the album) is the
            # photo row's parent_post_id, which the item's context shows.
            return comment_record(raw, page_id=self.page.id, unit_id=self.unit_id, post_id=obj.id)

        return parse

    def confirm_missing(self, external_id: str) -> None:
        """Ask for the comment itself; only 'does not exist' twice in a row marks it deleted."""
        self.checkpoint()
        try:
            self.get(external_id, {"fields": "id"})
        except GraphError as err:
            if not err.object_missing:
                if unit_stopper(err):
                    raise
                return  # asked again at the next sweep or recheck
            with self.ctx.sessions.begin() as session:
                now = self.ctx.clock()
                if state.note_missing(session, external_id, now, DELETE_CONFIRMATIONS):
                    self.counts.deleted += 1
            return
        with self.ctx.sessions.begin() as session:
            state.clear_missing(session, external_id)


def _summary(resp: GraphResponse) -> dict[str, Any]:
    summary = resp.data.get("summary")
    return summary if isinstance(summary, dict) else {}


def _order(resp: GraphResponse) -> str | None:
    order = _summary(resp).get("order")
    return order if isinstance(order, str) else None


def _count(obj: WatchedObject, first: GraphResponse) -> int | None:
    """The count the read marks done: the check's, else the read's own summary."""
    if obj.comment_count is not None:
        return obj.comment_count
    total = _summary(first).get("total_count")
    return total if isinstance(total, int) and not isinstance(total, bool) else None


class MessageWalker(ThreadWalker):
    messenger = True

    def messages(self, info: ConversationInfo, processed: datetime | None) -> None:
        """Read one conversation's new messages (newest first, to the processed mark)."""
        overlap = timedelta(minutes=self.ctx.poll.overlap_minutes)
        stop_before = None if processed is None else processed - overlap
        params = {"fields": MESSAGE_FIELDS, "limit": 25}

        def parse(obj: Any) -> ItemRecord:
            return message_record(
                obj, page_id=self.page.id, unit_id=self.unit_id, conversation_id=info.id
            )

        started = self.ctx.clock()
        # Graph times have whole seconds: a message that lands in the same second as the
        # newest one read leaves updated_time as it was. A read that close to the last update
        # marks a hair less, so the conversation is read once more at the next cycle.
        close = started - info.updated_time < SAME_SECOND_MARGIN
        done = info.updated_time - timedelta(microseconds=1) if close else info.updated_time

        def finish(session: Session, _seen: set[str], walked: list[ItemRecord]) -> None:
            citizen = [r.created_time for r in walked if not r.by_page]
            state.mark_conversation_processed(session, info, max(citizen, default=None), done)

        for attempt in range(2):
            try:
                first = self.get(f"{info.id}/messages", params)
                self.walk(first, parse, "facebook_message", finish, stop_before=stop_before)
                return
            except GraphError as err:
                # A cursor invalidated by a deletion: walk again once from the newest message.
                if attempt == 0 and err.code == 100 and err.subcode is None:
                    continue
                raise


def conversation_info(obj: Any, page_id: str) -> ConversationInfo:
    obj = checked_shape(obj, "cuộc hội thoại")
    ident = object_id(obj.get("id"), "cuộc hội thoại")
    people = (
        obj.get("participants", {}).get("data", [])
        if isinstance(obj.get("participants"), dict)
        else []
    )
    citizen = next((p for p in people if isinstance(p, dict) and str(p.get("id")) != page_id), {})
    name = citizen.get("name")
    try:
        participant: str | None = object_id(citizen.get("id"), "người nhắn", MAX_AUTHOR_ID)
    except PayloadError:
        participant = None
    return ConversationInfo(
        id=ident,
        page_id=page_id,
        updated_time=parse_time(obj.get("updated_time")),
        participant_id=participant,
        participant_name=clean_text(name, "tên người nhắn", MAX_NAME)
        if isinstance(name, str)
        else None,
    )
