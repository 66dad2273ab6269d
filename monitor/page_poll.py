"""One poll of one page: feed → changed posts' comments, inbox → changed conversations.

An idle page costs two Graph calls: the first feed page and the first conversations page (the
daemon batches those for all pages into one HTTP request). Posts and conversations whose
``updated_time`` did not move are not read again; a periodic sweep re-reads recent posts in full
to catch what the ranked feed hides, edits, and deletions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from config.settings import PageSettings
from monitor.errors import GraphError
from monitor.graph import GraphResponse
from monitor.normalize import PayloadError, parse_time, post_record
from monitor.pollers import (
    CommentWalker,
    MessageWalker,
    PostWork,
    conversation_info,
    conversations_request,
    feed_request,
)
from monitor.threads import PollContext, PollCounts
from storage import poll_state as state
from storage.records import ConversationInfo, ItemRecord, PostInfo

log = logging.getLogger("pakn.monitor")

FirstPage = GraphResponse | GraphError | None
# The first read of a page walks its feed back to the sweep window; this only bounds a runaway.
BACKFILL_PAGES = 1000
MAX_SUSPECT_CHECKS = 20


class PagePoll:
    def __init__(self, ctx: PollContext, page: PageSettings) -> None:
        self.ctx, self.page = ctx, page
        self.token = page.access_token.reveal()
        self.counts = PollCounts()
        with ctx.sessions.begin() as session:
            row = state.page_row(session, page.id)
            if row is None:
                raise RuntimeError(f"trang {page.id} chưa được đồng bộ vào cơ sở dữ liệu")
            self.unit_id = row.unit_id
            self.feed_watermark = row.feed_watermark
            self.conv_watermark = row.conversations_watermark
            self.last_sweep_at = row.last_sweep_at
        self.comments = CommentWalker(ctx, page, self.unit_id, self.counts)
        self.messages = MessageWalker(ctx, page, self.unit_id, self.counts)

    def run(self, first_feed: FirstPage = None, first_inbox: FirstPage = None) -> PollCounts:
        level = self.ctx.governor.level(self.page.id)
        if self.page.comments:
            self.poll_feed(first_feed)
        if self.page.messenger:
            self.poll_inbox(first_inbox)
        self.recheck_suspects()
        if level == "normal":
            self.sweep_if_due()
        return self.counts

    # -- feed and comments ----------------------------------------------------------------
    def poll_feed(self, first: FirstPage) -> None:
        now = self.ctx.clock()
        backfill = self.feed_watermark is None
        threshold = self._threshold(self.feed_watermark, now)
        path, params = feed_request(self.page, self.ctx.poll)
        if backfill:
            params["limit"] = 100  # Meta's maximum: fewer calls for the first read
        start = self._first(first, lambda: self.ctx.client.get(path, self.token, params))
        max_pages = BACKFILL_PAGES if backfill else self.ctx.poll.max_feed_pages
        newest = self.feed_watermark
        changed: list[tuple[PostInfo, datetime | None]] = []
        for resp in self.ctx.client.iterate(start, self.token, max_pages):
            self.comments.checkpoint()
            infos, visitor = self._parse_feed(resp)
            with self.ctx.sessions.begin() as session:
                processed = state.upsert_posts(session, infos)
                self.comments.store(session, visitor, self.ctx.clock())
            for info in infos:
                done = processed[info.id]
                if info.updated_time > threshold and (done is None or info.updated_time > done):
                    changed.append((info, done))
                newest = max(newest or info.updated_time, info.updated_time)
            if infos and all(i.updated_time <= threshold for i in infos):
                break
        work = [PostWork(info.id, info.updated_time, done) for info, done in changed]
        self.comments.comments_many(work, full=False)
        with self.ctx.sessions.begin() as session:
            # The first backfill read everything in the window: no sweep needed right away.
            swept = now if backfill else None
            state.set_page_watermark(session, self.page.id, feed=newest, swept_at=swept)
        if backfill:
            self.last_sweep_at = now

    def _parse_feed(self, resp: GraphResponse) -> tuple[list[PostInfo], list[ItemRecord]]:
        data = resp.data.get("data")
        if not isinstance(data, list):
            raise GraphError("transient", message="feed page without a data list")
        infos: list[PostInfo] = []
        visitor: list[ItemRecord] = []
        bad: list[tuple[Any, str]] = []
        for obj in data:
            try:
                info = self._post_info(obj)
                infos.append(info)
                if not info.by_page:
                    visitor.append(post_record(obj, page_id=self.page.id, unit_id=self.unit_id))
            except PayloadError as exc:
                bad.append((obj, str(exc)))
        if bad:
            self.comments.set_aside(bad)
        return infos, visitor

    def _post_info(self, obj: Any) -> PostInfo:
        if not isinstance(obj, dict) or not obj.get("id"):
            raise PayloadError("bài viết không có id")
        created = parse_time(obj.get("created_time"))
        updated = parse_time(obj["updated_time"]) if obj.get("updated_time") else created
        raw_sender = obj.get("from")
        sender: dict[str, Any] = raw_sender if isinstance(raw_sender, dict) else {}
        author_id = str(sender["id"]) if sender.get("id") else None
        message = obj.get("message")
        return PostInfo(
            id=str(obj["id"]),
            page_id=self.page.id,
            created_time=created,
            updated_time=updated,
            message=message if isinstance(message, str) else None,
            author_id=author_id,
            author_name=sender.get("name"),
            by_page=author_id is None or author_id == self.page.id,
            permalink=obj.get("permalink_url"),
        )

    def sweep_if_due(self) -> None:
        now = self.ctx.clock()
        interval = timedelta(minutes=self.ctx.poll.sweep_interval_minutes)
        if self.last_sweep_at is not None and now - self.last_sweep_at < interval:
            return
        since = now - timedelta(days=self.ctx.poll.sweep_window_days)
        with self.ctx.sessions.begin() as session:
            posts = state.posts_for_sweep(session, self.page.id, since)
        work = [PostWork(post_id, updated or now, None) for post_id, updated in posts]
        self.comments.comments_many(work, full=True)
        with self.ctx.sessions.begin() as session:
            state.set_page_watermark(session, self.page.id, swept_at=now)

    def recheck_suspects(self) -> None:
        with self.ctx.sessions.begin() as session:
            suspects = state.suspected_missing(session, self.page.id)
        for external_id in suspects[:MAX_SUSPECT_CHECKS]:
            self.comments.confirm_missing(external_id)

    # -- Messenger ------------------------------------------------------------------------
    def poll_inbox(self, first: FirstPage) -> None:
        now = self.ctx.clock()
        threshold = self._threshold(self.conv_watermark, now)
        path, params = conversations_request(self.page, self.ctx.poll)
        start = self._first(first, lambda: self.ctx.client.get(path, self.token, params))
        max_pages = (
            BACKFILL_PAGES if self.conv_watermark is None else self.ctx.poll.max_conversation_pages
        )
        newest = self.conv_watermark
        changed: list[tuple[ConversationInfo, datetime | None]] = []
        for resp in self.ctx.client.iterate(start, self.token, max_pages):
            self.messages.checkpoint()
            infos = self._parse_conversations(resp)
            with self.ctx.sessions.begin() as session:
                done = state.conversation_state(session, [i.id for i in infos])
            for info in infos:
                previous = done.get(info.id)
                if info.updated_time > threshold and (
                    previous is None or info.updated_time > previous
                ):
                    changed.append((info, previous))
                newest = max(newest or info.updated_time, info.updated_time)
            if infos and all(i.updated_time <= threshold for i in infos):
                break
        for info, previous in changed:
            self.messages.messages(info, previous)
        with self.ctx.sessions.begin() as session:
            state.set_page_watermark(session, self.page.id, conversations=newest)

    def _parse_conversations(self, resp: GraphResponse) -> list[ConversationInfo]:
        data = resp.data.get("data")
        if not isinstance(data, list):
            raise GraphError("transient", message="conversations page without a data list")
        infos, bad = [], []
        for obj in data:
            try:
                infos.append(conversation_info(obj, self.page.id))
            except PayloadError as exc:
                bad.append((obj, str(exc)))
        if bad:
            self.messages.set_aside(bad)
        return infos

    # -- shared ---------------------------------------------------------------------------
    def _threshold(self, watermark: datetime | None, now: datetime) -> datetime:
        if watermark is None:
            return now - timedelta(days=self.ctx.poll.sweep_window_days)
        return watermark - timedelta(minutes=self.ctx.poll.overlap_minutes)

    @staticmethod
    def _first(first: FirstPage, fetch: Callable[[], GraphResponse]) -> GraphResponse:
        if isinstance(first, GraphError):
            raise first
        return first if first is not None else fetch()
