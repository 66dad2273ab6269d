"""Finding a page's posts, reels and album photos, whatever their activity.

``/{page}/feed`` lists posts newest *created* first: a comment bumps a post's ``updated_time``
but never moves it up, so position in the feed says nothing about activity. The feed is
therefore only used to learn which posts exist; whether a known post changed is the
reconciliation's business (monitor/reconcile.py).

One call per cycle asks for the page node with its first feed page and its first reels page,
each post and reel with ``updated_time`` and its comment count (``GET /{page}?fields=feed.
limit(N){...},video_reels.limit(M){...}``). The feed ranges not listed yet are kept as gaps of
creation time (``pages.feed_gaps``): when more posts appeared than the first page shows, or on
the first run (the whole ``poll.watch_days``), the gaps are walked with ``since``/``until``, at
most ``poll.max_feed_pages`` pages a cycle, and what remains stays a gap: a capped walk never
skips anything.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from config.settings import PageSettings
from monitor.errors import GraphError
from monitor.graph import GraphResponse
from monitor.normalize import PayloadError, album_photo_ids, object_info, post_record, repairing
from monitor.pollers import CommentWalker, ObjectRead
from monitor.threads import REPAIRED, PollContext, has_next
from storage import poll_state as state
from storage.records import ItemRecord, PostInfo, WatchedObject

log = logging.getLogger("pakn.monitor")

COUNT = "comments.filter(stream).limit(0).summary(true)"
FEED_FIELDS = (
    "id,created_time,updated_time,message,from{id,name},permalink_url,is_published,"
    "status_type,attachments{type,url,media,subattachments{type,target{id}}}," + COUNT
)
REEL_FIELDS = "id,created_time,updated_time,description,permalink_url," + COUNT
REELS_PAGE = 10
GAP_PAGE = 100  # Meta's maximum feed page
# The first read of a page walks its feed back to watch_days; this only bounds a runaway.
BACKFILL_PAGES = 1000
Gap = tuple[datetime, datetime]
FirstPage = GraphResponse | GraphError | None


def discovery_request(ctx: PollContext, page: PageSettings) -> tuple[str, dict[str, Any]]:
    """The page node with its first feed page and, unless refused before, its first reels."""
    feed = f"feed.limit({ctx.poll.feed_page_limit}){{{FEED_FIELDS}}}"
    if page.id in ctx.reels_refused:
        return page.id, {"fields": feed}
    reels = f"video_reels.limit({REELS_PAGE}){{{REEL_FIELDS}}}"
    return page.id, {"fields": f"{feed},{reels}"}


class Discovery:
    """One cycle's look at a page's listings; ``reads`` collects the objects to read now."""

    def __init__(
        self,
        ctx: PollContext,
        page: PageSettings,
        walker: CommentWalker,
        needs_read: Callable[[WatchedObject], bool],
        next_check: state.NextCheck,
    ) -> None:
        self.ctx, self.page, self.walker = ctx, page, walker
        self.needs_read, self.next_check = needs_read, next_check
        self.token = page.access_token.reveal()
        self.reads: dict[str, ObjectRead] = {}
        with ctx.sessions.begin() as session:
            row = state.page_row(session, page.id)
            if row is None:
                raise RuntimeError(f"trang {page.id} chưa được đồng bộ vào cơ sở dữ liệu")
            self.top = row.feed_watermark
            self.gaps = _load_gaps(row.feed_gaps)
            self.reels_mark = row.reels_watermark

    @property
    def window_start(self) -> datetime:
        return self.ctx.clock() - timedelta(days=self.ctx.poll.watch_days)

    def run(self, first: FirstPage) -> None:
        resp = self._first(first)
        self._feed_top(_listing(resp.data.get("feed")))
        self._walk_gaps()
        self._reels(_listing(resp.data.get("video_reels")))

    def _first(self, first: FirstPage) -> GraphResponse:
        if isinstance(first, GraphResponse):
            return first
        if isinstance(first, GraphError) and first.kind != "permanent":
            raise first
        path, params = discovery_request(self.ctx, self.page)
        if first is None:
            try:
                return self.ctx.client.get(path, self.token, params)
            except GraphError as err:
                if err.kind != "permanent":
                    raise
                first = err
        # The page node refused the combined read (reels not readable with this token, for
        # one): read the feed alone, and the reels apart so their failure stays theirs.
        log.warning("trang %s: đọc gộp feed + reels bị từ chối (%s)", self.page.id, first.short())
        limit = self.ctx.poll.feed_page_limit
        feed = self.ctx.client.get(
            f"{self.page.id}/feed", self.token, {"fields": FEED_FIELDS, "limit": limit}
        )
        out: dict[str, Any] = {"feed": feed.data}
        try:
            reels = self.ctx.client.get(
                f"{self.page.id}/video_reels",
                self.token,
                {"fields": REEL_FIELDS, "limit": REELS_PAGE},
            )
            out["video_reels"] = reels.data
        except GraphError as err:
            if err.kind in ("throttled", "token"):
                raise
            log.warning("trang %s: không đọc được reels: %s", self.page.id, err.short())
            if err.kind == "permanent":
                self.ctx.reels_refused.add(self.page.id)
        return GraphResponse(out, feed.headers)

    # -- feed ---------------------------------------------------------------------------------
    def _feed_top(self, feed: GraphResponse) -> None:
        infos = self._store_posts(feed)
        created = [i.created_time for i in infos if i.kind == "post"]
        gaps = list(self.gaps)
        if has_next(feed):
            # More posts than the first page shows may be new: list them down to the newest
            # known one (the window's start the first time).
            start = self.top if self.top is not None else self.window_start
            oldest = min(created, default=self.ctx.clock())
            gaps.append((start, oldest))
        if created:
            self.top = max([self.top, *created]) if self.top else max(created)
        self.gaps = _merged(gaps)
        with self.ctx.sessions.begin() as session:
            state.set_page_watermark(
                session, self.page.id, feed=self.top, feed_gaps=_dump_gaps(self.gaps)
            )

    def relist(self, since: datetime) -> list[ObjectRead]:
        """List the feed again back to ``since``, as a gap (a capped walk finishes in the next
        cycles): finds a post that appeared late in a range already listed, such as a
        visitor's post approved days after it was written. Returns the objects to read."""
        before = set(self.reads)
        self.gaps = _merged([*self.gaps, (since, self.top or self.ctx.clock())])
        with self.ctx.sessions.begin() as session:
            state.set_page_watermark(session, self.page.id, feed_gaps=_dump_gaps(self.gaps))
        self._walk_gaps()
        return [read for object_id, read in self.reads.items() if object_id not in before]

    def _walk_gaps(self) -> None:
        """Walk the unlisted ranges, newest first, within this cycle's page budget."""
        start = self.window_start
        self.gaps = [(max(lo, start), hi) for lo, hi in self.gaps if hi > start]
        backfill = any(lo <= start + timedelta(days=1) for lo, _hi in self.gaps)
        budget = BACKFILL_PAGES if backfill else self.ctx.poll.max_feed_pages
        while self.gaps and budget > 0:
            budget = self._walk_gap(budget)

    def _walk_gap(self, budget: int) -> int:
        """Walk the newest gap until it closes or the budget ends; returns the budget left."""
        overlap = timedelta(minutes=self.ctx.poll.overlap_minutes)
        lo, hi = self.gaps[-1]
        params = {
            "fields": FEED_FIELDS,
            "limit": GAP_PAGE,
            "since": int((lo - overlap).timestamp()),
            "until": int(hi.timestamp()) + 1,
        }
        resp = self.ctx.client.get(f"{self.page.id}/feed", self.token, params)
        while budget > 0:
            self.walker.checkpoint()
            budget -= 1
            more = has_next(resp)
            shrink = partial(_shrunk, self.gaps[:-1], (lo, hi), more, overlap)
            self._store_posts(resp, shrink)
            if not more or not self.gaps or self.gaps[-1][0] != lo:
                break  # this gap is closed
            hi = self.gaps[-1][1]
            if budget > 0:
                resp = self.walker.follow(resp) or resp
        return budget

    def _store_posts(
        self,
        resp: GraphResponse,
        gaps_after: Callable[[list[PostInfo]], list[Gap]] | None = None,
    ) -> list[PostInfo]:
        """Remember the listed posts and their album photos and store visitor posts as items;
        in the same transaction, move the gaps to ``gaps_after(infos)``."""
        infos: list[PostInfo] = []
        visitor: list[ItemRecord] = []
        bad: list[tuple[Any, str]] = []
        repaired: list[tuple[Any, str]] = []
        for obj in _data(resp):
            try:
                with repairing(self.ctx.clock()) as notes:
                    info = object_info(obj, page_id=self.page.id)
                    if not info.by_page:
                        visitor.append(
                            post_record(obj, page_id=self.page.id, unit_id=self.walker.unit_id)
                        )
            except PayloadError as exc:
                bad.append((obj, str(exc)))
                continue
            if notes:
                repaired.append((obj, "; ".join(dict.fromkeys(notes))))
            infos.append(info)
            infos += [
                PostInfo(
                    id=photo,
                    page_id=self.page.id,
                    created_time=info.created_time,
                    updated_time=None,
                    kind="photo",
                    parent_post_id=info.id,
                )
                for photo in album_photo_ids(obj)
            ]
        self.walker.set_aside(bad)
        self.walker.set_aside(repaired, kind=REPAIRED)
        gaps = gaps_after(infos) if gaps_after is not None else None
        self._remember(infos, visitor, gaps)
        if gaps is not None:
            self.gaps = gaps
        return infos

    def _remember(
        self, infos: list[PostInfo], visitor: list[ItemRecord], gaps: list[Gap] | None
    ) -> None:
        now = self.ctx.clock()
        with self.ctx.sessions.begin() as session:
            known = state.upsert_objects(session, infos, now, self.next_check)
            self.walker.store(session, visitor, now)
            if gaps is not None:
                state.set_page_watermark(session, self.page.id, feed_gaps=_dump_gaps(gaps))
        for obj in known.values():
            if self.needs_read(obj):
                self.reads[obj.id] = ObjectRead(obj)

    # -- reels --------------------------------------------------------------------------------
    def _reels(self, first: GraphResponse) -> None:
        """Reels are few: walk from the newest to the newest known one (the window's start
        the first time); the mark moves only when the walk got there."""
        overlap = timedelta(minutes=self.ctx.poll.overlap_minutes)
        stop = (self.reels_mark - overlap) if self.reels_mark else self.window_start
        created: list[datetime] = []
        resp: GraphResponse | None = first
        for _page in range(BACKFILL_PAGES):
            infos = []
            for obj in _data(resp) if resp is not None else []:
                try:
                    with repairing(self.ctx.clock()):
                        infos.append(object_info(obj, page_id=self.page.id, kind="reel"))
                except PayloadError as exc:
                    self.walker.set_aside([(obj, str(exc))])
            self._remember(infos, [], None)
            created += [i.created_time for i in infos]
            if resp is None or not has_next(resp) or any(i.created_time < stop for i in infos):
                break
            self.walker.checkpoint()
            resp = self.walker.follow(resp)
        else:
            return  # a runaway listing: the mark stays, the next cycle walks again
        newest = max([*created, *([self.reels_mark] if self.reels_mark else [])], default=None)
        if newest is not None:
            with self.ctx.sessions.begin() as session:
                state.set_page_watermark(session, self.page.id, reels=newest)


def _listing(value: Any) -> GraphResponse:
    """A nested listing of the page node; Graph leaves an empty one out."""
    return GraphResponse(value if isinstance(value, dict) else {"data": []})


def _data(resp: GraphResponse) -> list[Any]:
    data = resp.data.get("data")
    if not isinstance(data, list):
        raise GraphError("transient", message="listing without a data list")
    return data


def _load_gaps(raw: str | None) -> list[Gap]:
    if not raw:
        return []
    try:
        pairs = json.loads(raw)
        return [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in pairs]
    except (ValueError, TypeError):
        log.warning("khoảng feed chưa đọc bị hỏng (%r); đọc lại toàn bộ", raw[:200])
        return [(datetime(1970, 1, 1, tzinfo=UTC), datetime.now(UTC))]


def _dump_gaps(gaps: list[Gap]) -> str:
    return json.dumps([[a.isoformat(), b.isoformat()] for a, b in gaps])


def _shrunk(
    rest: list[Gap], gap: Gap, more: bool, overlap: timedelta, infos: list[PostInfo]
) -> list[Gap]:
    """The gaps once a page of ``gap`` is listed: down to its oldest post is no gap any more;
    the rest of the range stays one unless the listing ended."""
    lo, hi = gap
    oldest = min((i.created_time for i in infos if i.kind == "post"), default=hi)
    if more and oldest >= lo - overlap:
        return _merged([*rest, (lo, min(hi, oldest))])
    return _merged(rest)


def _merged(gaps: list[Gap]) -> list[Gap]:
    """Sorted oldest first, overlapping ranges joined, empty ones dropped."""
    out: list[Gap] = []
    for lo, hi in sorted(g for g in gaps if g[0] < g[1]):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out
