"""Per-page polling units: a post's comments (batched across posts), a conversation's messages,
and deletion checks. The walking and committing rules live in ``monitor.threads``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from config.settings import PageSettings, PollSettings
from monitor.errors import GraphError
from monitor.graph import BatchOp, GraphResponse
from monitor.normalize import PayloadError, comment_record, message_record, parse_time
from monitor.threads import ThreadWalker, has_next
from storage import poll_state as state
from storage.records import ConversationInfo, ItemRecord

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


@dataclass(frozen=True)
class PostWork:
    """A post whose comments must be read: its current and its fully processed updated_time."""

    id: str
    updated: datetime
    processed: datetime | None


def feed_request(page: PageSettings, poll: PollSettings) -> tuple[str, dict[str, Any]]:
    return f"{page.id}/feed", {"fields": FEED_FIELDS, "limit": poll.feed_page_limit}


def conversations_request(page: PageSettings, poll: PollSettings) -> tuple[str, dict[str, Any]]:
    params = {"platform": "messenger", "fields": CONVERSATION_FIELDS, "limit": 25}
    return f"{page.id}/conversations", params


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
                elif has_next(resp):
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
