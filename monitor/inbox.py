"""The Messenger unit of one page's poll, apart from the feed so neither can skip the other.

Each cycle lists the default folder (inbox) newest ``updated_time`` first down to the
watermark, and reads every conversation that moved; more than ``poll.max_conversation_pages``
pages leave the watermark where it was and bring the next sweep forward instead of skipping
what was not listed. Every ``poll.conversation_sweep_minutes`` a sweep lists every folder that
answers (inbox, other, page_done, spam: a citizen's thread may sit in any) back to
``poll.watch_days``. A conversation whose read fails is backed off alone. Conversation calls are
paced (Meta allows 2 per second per page).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from config.settings import PageSettings
from monitor.errors import GraphError
from monitor.graph import GraphResponse
from monitor.normalize import PayloadError, repairing
from monitor.pollers import (
    MessageWalker,
    backoff,
    conversation_info,
    conversations_request,
    unit_stopper,
)
from monitor.threads import REPAIRED, PollContext, PollCounts, has_next
from storage import poll_state as state
from storage.records import ConversationInfo

log = logging.getLogger("pakn.monitor")

FOLDERS = ("inbox", "other", "page_done", "spam")
SWEEP_PAGES = 1000
FirstPage = GraphResponse | GraphError | None


class InboxPoll:
    def __init__(
        self, ctx: PollContext, page: PageSettings, unit_id: str, counts: PollCounts
    ) -> None:
        self.ctx, self.page = ctx, page
        self.walker = MessageWalker(ctx, page, unit_id, counts)
        with ctx.sessions.begin() as session:
            row = state.page_row(session, page.id)
            if row is None:
                raise RuntimeError(f"trang {page.id} chưa được đồng bộ vào cơ sở dữ liệu")
            self.watermark = row.conversations_watermark
            self.swept_at = row.conversations_swept_at

    def run(self, first: FirstPage = None) -> None:
        level = self.ctx.governor.level(self.page.id, "messenger")
        if self.watermark is None:
            self.sweep(FOLDERS)  # the first read: every folder, back to watch_days
        else:
            self.poll_inbox(first)
        self.retry_failed()
        sweep_due = self.swept_at is None or self.ctx.clock() - self.swept_at >= timedelta(
            minutes=self.ctx.poll.conversation_sweep_minutes
        )
        # Cheap (a few calls an hour) and the only look at the other folders: skipped only
        # when Messenger is nearly out of budget.
        if sweep_due and level in ("normal", "slow"):
            self.sweep(FOLDERS)

    def poll_inbox(self, first: FirstPage) -> None:
        """The default folder down to the watermark (minus overlap), within the page cap."""
        if isinstance(first, GraphError):
            raise first
        threshold = self.watermark - self._overlap() if self.watermark else None
        path, params = conversations_request(self.page)
        resp = first or self.walker.get(path, params)
        newest = self.watermark
        for number in range(1, self.ctx.poll.max_conversation_pages + 1):
            self.walker.checkpoint()
            infos = self._parse(resp)
            self._read_changed(infos)
            times = [i.updated_time for i in infos] + ([newest] if newest else [])
            newest = max(times, default=None)
            reached = threshold is not None and any(i.updated_time <= threshold for i in infos)
            if reached or not has_next(resp):
                break
            if number == self.ctx.poll.max_conversation_pages:
                # Capped before the watermark: leave it, list every folder at the next cycle.
                with self.ctx.sessions.begin() as session:
                    state.forget_conversation_sweep(session, self.page.id)
                self.swept_at = None
                return
            resp = self.walker.follow(resp) or resp
        if newest is not None:
            with self.ctx.sessions.begin() as session:
                state.set_page_watermark(session, self.page.id, conversations=newest)

    def sweep(self, folders: tuple[str, ...]) -> None:
        """Every folder that answers, back to ``poll.watch_days``. The inbox is the default
        listing (no ``folder``): its failure is the unit's; another folder that refuses the
        listing is not asked again by this daemon."""
        now = self.ctx.clock()
        newest: datetime | None = None
        for folder in folders:
            if (self.page.id, folder) in self.ctx.closed_folders:
                continue
            path, params = conversations_request(self.page, None if folder == "inbox" else folder)
            try:
                resp = self.walker.get(path, params)
            except GraphError as err:
                if err.kind != "permanent" or folder == "inbox":
                    raise
                log.info(
                    "trang %s: thư mục %s không trả lời (%s)", self.page.id, folder, err.short()
                )
                self.ctx.closed_folders.add((self.page.id, folder))
                continue
            listed = self._list_back(resp, now - timedelta(days=self.ctx.poll.watch_days))
            if folder == "inbox":
                newest = listed
        with self.ctx.sessions.begin() as session:
            mark = self.watermark or newest or now
            state.set_page_watermark(
                session, self.page.id, conversations=mark, conversations_swept_at=now
            )
        self.watermark, self.swept_at = mark, now

    def _list_back(self, first: GraphResponse, edge: datetime) -> datetime | None:
        """Read every changed conversation of a listing back to ``edge`` (newest updated
        first); returns the newest updated_time listed."""
        newest: datetime | None = None
        resp: GraphResponse | None = first
        for _page in range(SWEEP_PAGES):
            if resp is None:
                break
            self.walker.checkpoint()
            infos = self._parse(resp)
            self._read_changed(infos)
            newest = max(
                [i.updated_time for i in infos] + ([newest] if newest else []), default=None
            )
            if any(i.updated_time < edge for i in infos):
                break
            resp = self.walker.follow(resp)
        return newest

    def retry_failed(self) -> None:
        with self.ctx.sessions.begin() as session:
            due = state.conversations_to_retry(session, self.page.id, self.ctx.clock())
            marks = state.conversation_state(session, [c.id for c in due])
        for info in due:
            self.walker.checkpoint()
            self._read(info, marks[info.id].processed)

    def _read_changed(self, infos: list[ConversationInfo]) -> None:
        now = self.ctx.clock()
        with self.ctx.sessions.begin() as session:
            marks = state.conversation_state(session, [i.id for i in infos])
        for info in infos:
            mark = marks[info.id]
            if mark.retry_at is not None and mark.retry_at > now:
                continue  # backing off after failures
            if mark.processed is None or info.updated_time > mark.processed:
                self.walker.checkpoint()
                self._read(info, mark.processed)

    def _read(self, info: ConversationInfo, processed: datetime | None) -> None:
        """One conversation's messages; a failure is this conversation's alone."""
        try:
            self.walker.messages(info, processed)
        except GraphError as err:
            if unit_stopper(err):
                raise
            now = self.ctx.clock()
            with self.ctx.sessions.begin() as session:
                count = state.conversation_failed(session, info, now, err.reason_vi(), backoff)
            self.walker.counts.failed_objects += 1
            log.warning(
                "trang %s: không đọc được hội thoại %s (lần %d): %s",
                self.page.id,
                info.id,
                count,
                err.short(),
            )

    def _parse(self, resp: GraphResponse) -> list[ConversationInfo]:
        data = resp.data.get("data")
        if not isinstance(data, list):
            raise GraphError("transient", message="conversations page without a data list")
        infos, bad, repaired = [], [], []
        for obj in data:
            try:
                with repairing(self.ctx.clock()) as notes:
                    infos.append(conversation_info(obj, self.page.id))
            except PayloadError as exc:
                bad.append((obj, str(exc)))
                continue
            if notes:
                repaired.append((obj, "; ".join(notes)))
        self.walker.set_aside(bad)
        self.walker.set_aside(repaired, kind=REPAIRED)
        return infos

    def _overlap(self) -> timedelta:
        return timedelta(minutes=self.ctx.poll.overlap_minutes)
