"""The polling daemon (``pakn run``): every page, every cycle, no page able to stop the others."""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from types import FrameType
from typing import cast
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import schedule
from sqlalchemy.orm import Session, sessionmaker

from config.settings import PageSettings, Settings
from monitor.errors import GraphError, redact
from monitor.governor import (
    APP,
    Governor,
    Pacer,
    Pause,
    PauseKind,
    UsageType,
    throttle_scope,
)
from monitor.graph import BatchOp, GraphClient
from monitor.inbox import InboxPoll
from monitor.page_poll import FeedPoll, FirstPage, discovery_request
from monitor.pollers import conversations_request
from monitor.reconcile import Answer, Reconciler
from monitor.threads import PollContext, PollCounts, StopRequested
from storage import poll_state as state
from storage import rate_pauses
from storage.ingest import IngestPolicy

log = logging.getLogger("pakn.monitor")
VN = ZoneInfo("Asia/Ho_Chi_Minh")
BATCH_LIMIT = 50


def utcnow() -> datetime:
    return datetime.now(UTC)


def token_fingerprint(token: str) -> str:
    """Enough to notice a replaced token; useless to anyone who reads the database."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


@dataclass
class PageResult:
    page_id: str
    name: str
    ok: bool
    reason: str = ""
    counts: PollCounts = field(default_factory=PollCounts, repr=False)


_LABELS = {"feed": "Bình luận", "inbox": "Tin nhắn"}
_UNIT_OF: dict[str, str] = {"pages": "feed", "messenger": "inbox"}


@dataclass
class _PagePoll:
    """One page in one cycle: its units (feed, inbox), and what went wrong in each."""

    page: PageSettings
    counts: PollCounts = field(default_factory=PollCounts)
    feed: FeedPoll | None = None
    inbox: InboxPoll | None = None
    errors: list[tuple[str, str, GraphError | None]] = field(default_factory=list)
    paused: list[UsageType] = field(default_factory=list)
    stopped: bool = False
    last_success: datetime | None = None
    # Whether Meta's throttle now pauses a unit's type, and where a throttle is reported the
    # moment it happens, so the rest of the cycle already holds the pause.
    is_paused: Callable[[UsageType], bool] = lambda _kind: False
    on_throttle: Callable[[UsageType, GraphError], None] = lambda _kind, _err: None

    def unit(self, name: str, step: Callable[[], object]) -> None:
        """Run one step of a unit; a failure ends that unit for this cycle, nothing else."""
        if self.stopped:
            return
        kind: UsageType = "messenger" if name == "inbox" else "pages"
        if self.is_paused(kind):
            self._pause(name, kind)
            return
        try:
            made = step()
        except StopRequested:
            self.stopped = True
            raise
        except GraphError as err:
            if err.kind == "throttled":
                self.on_throttle(kind, err)
            self._drop(name, err.reason_vi(), err)
            return
        except Exception as exc:
            log.exception("trang %s (%s): lỗi không mong đợi", self.page.id, self.page.name)
            self._drop(name, f"lỗi nội bộ {type(exc).__name__}: {exc}", None)
            return
        if isinstance(made, FeedPoll):
            self.feed = made
        elif isinstance(made, InboxPoll):
            self.inbox = made

    def _pause(self, name: str, kind: UsageType) -> None:
        """Another unit's throttle paused this one during the cycle: stop it, quietly."""
        if kind not in self.paused:
            self.paused.append(kind)
        if name == "feed":
            self.feed = None
        else:
            self.inbox = None

    def _drop(self, name: str, reason: str, err: GraphError | None) -> None:
        self.errors.append((name, reason, err))
        if name == "feed":
            self.feed = None
        else:
            self.inbox = None


@dataclass
class Job:
    name: str
    every_seconds: int
    run: Callable[[], object]


class Daemon:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        policy: IngestPolicy,
        *,
        client: GraphClient | None = None,
        clock: Callable[[], datetime] = utcnow,
        owner: str | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.clock = clock
        self.governor = Governor(clock)
        self.client = client or GraphClient(settings.graph, on_usage=self.governor.observe)
        if client is not None and client.on_usage is None:
            client.on_usage = self.governor.observe
        self.stop = stop or threading.Event()
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.ctx = PollContext(
            self.client,
            self.governor,
            sessions,
            policy,
            settings.poll,
            clock,
            self.stop,
            batch=settings.graph.batch,
            heartbeat=self._renew,
            pace=Pacer(settings.poll.messenger_calls_per_second, self.stop.wait),
            webhook_slowdown=settings.webhooks.reconcile_slowdown
            if settings.webhooks.enabled
            else 1,
            cycle=timedelta(seconds=settings.poll_interval_seconds),
        )
        self._renewed: dict[str, datetime] = {}
        self._inbox_polled: dict[str, datetime] = {}
        self._inbox_now: set[str] = set()
        self.jobs: list[Job] = []
        self.last_results: list[PageResult] = []

    # -- configuration --------------------------------------------------------------------
    def sync(self) -> None:
        units = [(u.id, u.name, u.kind) for u in self.settings.units]
        pages = [(p.id, p.name, p.unit) for p in self.settings.pages]
        with self.sessions.begin() as session:
            state.sync_pages(session, units, pages)
            for page in self.settings.pages:
                row = state.page_row(session, page.id)
                if row is not None:
                    self.governor.restore(
                        page.id, row.usage_percent, row.throttled_until, row.last_success_at
                    )

    def add_job(self, name: str, every_seconds: int, run: Callable[[], object]) -> None:
        self.jobs.append(Job(name, every_seconds, run))

    # -- one cycle ------------------------------------------------------------------------
    def poll_cycle(
        self, only: Collection[str] | None = None, inbox_now: Collection[str] = ()
    ) -> list[PageResult]:
        """Poll every page (or the pages in ``only``, when a webhook named them). Each page's
        feed and inbox are separate units: one failing never skips the other, nor any other
        page. ``inbox_now``: pages whose inbox a webhook says changed, read even while
        Messenger is slowed down (never while it is paused)."""
        cycle_start = self.clock()
        results: list[PageResult] = []
        polls: list[_PagePoll] = []
        self._inbox_now = set(inbox_now)
        self._share_pauses()
        for page in self.settings.pages:
            if only is not None and page.id not in only:
                continue
            blocked = self._blocked_reason(page)
            if blocked:
                results.append(PageResult(page.id, page.name, False, blocked))
                continue
            holder = self._claim(page)
            if holder is not None:
                reason = f"đang được tiến trình khác đọc ({holder}); bỏ qua ở vòng này"
                results.append(PageResult(page.id, page.name, False, reason))
                continue
            polls.append(self._page_poll(page, cycle_start))
        # The page read longest ago goes first: a daemon that keeps stopping early (a crash
        # loop, a stop request) still gets round every page.
        polls.sort(key=lambda p: p.last_success or datetime.min.replace(tzinfo=UTC))
        try:
            self._run(polls)
        finally:
            self._share_pauses()
            for poll in polls:
                self._release(poll.page)
        results += [self._result(poll) for poll in polls]
        self.last_results = results
        return results

    def poll_now(self, feed_pages: Collection[str], inbox_pages: Collection[str]) -> None:
        """A webhook named these pages: poll them at once instead of at the next cycle."""
        self.poll_cycle(only={*feed_pages, *inbox_pages}, inbox_now=inbox_pages)

    def _page_poll(self, page: PageSettings, cycle_start: datetime) -> _PagePoll:
        poll = _PagePoll(page)
        poll.is_paused = lambda kind: self.governor.holds(page.id, kind)
        poll.on_throttle = partial(self._throttled, page.id)
        with self.sessions.begin() as session:
            row = state.page_row(session, page.id)
            unit_id = row.unit_id if row is not None else ""
            poll.last_success = row.last_success_at if row is not None else None
        if page.comments:
            if self.governor.level(page.id, "pages") == "paused":
                poll.paused.append("pages")
            else:
                poll.unit(
                    "feed", lambda: FeedPoll(self.ctx, page, unit_id, poll.counts, cycle_start)
                )
        if page.messenger:
            if self.governor.level(page.id, "messenger") == "paused":
                poll.paused.append("messenger")
            elif self._inbox_due(page.id, cycle_start):
                poll.unit("inbox", lambda: InboxPoll(self.ctx, page, unit_id, poll.counts))
        return poll

    def _inbox_due(self, page_id: str, now: datetime) -> bool:
        """Messenger is read less often while its own budget is tight: every third cycle above
        50 % of it, every tenth above 75 %."""
        level = self.governor.level(page_id, "messenger")
        if level == "normal" or page_id in self._inbox_now:
            self._inbox_polled[page_id] = now
            return True
        every = {"slow": 3, "essential": 10}.get(level, 0)
        last = self._inbox_polled.get(page_id)
        interval = timedelta(seconds=self.settings.poll_interval_seconds * (every - 0.5))
        if every == 0 or (last is not None and now - last < interval):
            return False
        self._inbox_polled[page_id] = now
        return True

    def _run(self, polls: list[_PagePoll]) -> None:
        firsts = self._first_pages(polls)
        for poll in polls:
            first_feed, _first_inbox = firsts.get(poll.page.id, (None, None))
            if poll.feed is not None:
                poll.unit("feed", partial(poll.feed.discover, first_feed))
            self._check_stop()
        answers = self._check_answers(polls)
        for poll in polls:
            self._check_stop()
            if poll.feed is not None:
                poll.unit("feed", partial(poll.feed.finish, answers.get(poll.page.id)))
            if poll.inbox is not None:
                first_inbox = firsts.get(poll.page.id, (None, None))[1]
                poll.unit("inbox", partial(poll.inbox.run, first_inbox))

    def _check_stop(self) -> None:
        if self.stop.is_set():
            raise StopRequested

    def _first_pages(self, polls: list[_PagePoll]) -> dict[str, tuple[FirstPage, FirstPage]]:
        """The idle check for every page in as few HTTP requests as Meta allows (50 ops each):
        each page node with its first feed and reels pages, and its inbox's first page."""
        ops: list[tuple[str, str, BatchOp]] = []
        for poll in polls:
            token = poll.page.access_token.reveal()
            if poll.feed is not None:
                path, params = discovery_request(self.ctx, poll.page)
                ops.append((poll.page.id, "feed", _op(path, params, token)))
            if poll.inbox is not None and poll.inbox.watermark is not None:
                path, params = conversations_request(poll.page)
                ops.append((poll.page.id, "inbox", _op(path, params, token)))
        out: dict[str, list[FirstPage]] = {p.page.id: [None, None] for p in polls}
        for chunk, answers in self._batched([op for _, _, op in ops]):
            for (page_id, kind, _), answer in zip(ops[chunk], answers, strict=True):
                out[page_id][0 if kind == "feed" else 1] = answer
        return {pid: (pair[0], pair[1]) for pid, pair in out.items()}

    def _check_answers(self, polls: list[_PagePoll]) -> dict[str, list[Answer]]:
        """Every page's multi-id checks of this cycle, batched across pages."""
        wanted: list[tuple[str, BatchOp]] = []
        for poll in polls:
            feed = poll.feed
            if feed is None:
                continue
            poll.unit("feed", feed.checks)
            for chunk in feed.chunks if poll.feed is not None else []:
                path, params = Reconciler.request(chunk)
                wanted.append((poll.page.id, _op(path, params, poll.page.access_token.reveal())))
        out: dict[str, list[Answer]] = {}
        for page_id, _ in wanted:
            out[page_id] = []
        answers: list[Answer] = [None] * len(wanted)
        for span, batch_answers in self._batched([op for _, op in wanted]):
            answers[span] = batch_answers
        for (page_id, _), answer in zip(wanted, answers, strict=True):
            out[page_id].append(answer)
        return out

    def _batched(self, ops: list[BatchOp]) -> Iterator[tuple[slice, list[Answer]]]:
        """Run ops in batch requests of 50; a request that fails as a whole (its top-level
        token, the network) leaves its answers None, so each page asks for itself."""
        if not self.settings.graph.batch or len(ops) < 2:
            return
        for start in range(0, len(ops), BATCH_LIMIT):
            chunk = slice(start, min(len(ops), start + BATCH_LIMIT))
            try:
                answers = self.client.batch(ops[chunk], ops[start].token)
            except GraphError as err:
                log.warning("gọi gộp thất bại (%s); từng trang sẽ tự gọi", err.short())
                if err.kind == "throttled" and throttle_scope("", "pages", err) == APP:
                    self.governor.throttled("", err.retry_after_seconds, "pages", err)
                    return  # the whole app waits: no page may call, batched or not
                continue
            yield chunk, list(answers)

    def _result(self, poll: _PagePoll) -> PageResult:
        page = poll.page
        if poll.stopped:
            reason = "dừng theo yêu cầu; phần đã đọc đã được lưu"
            return PageResult(page.id, page.name, False, reason, poll.counts)
        for kind in poll.paused:
            poll.errors.append((_UNIT_OF[kind], self._paused_reason(page.id, kind), None))
        failures = [(unit, reason, err) for unit, reason, err in poll.errors if unit]
        if not failures:
            self.governor.succeeded(page.id, "pages")
            self.governor.succeeded(page.id, "messenger")
            usage = self.governor.usage(page.id, "pages")
            with self.sessions.begin() as session:
                state.record_success(
                    session,
                    page.id,
                    self.clock(),
                    usage.percent,
                    usage.detail or None,
                    self.client.served_version,
                )
            return PageResult(page.id, page.name, True, counts=poll.counts)
        return self._failed(poll, failures)

    def _paused_reason(self, page_id: str, kind: UsageType) -> str:
        found = self.governor.pause_for(page_id, kind)
        if found is None:
            return "Facebook đang giới hạn số lần gọi; tiếp tục khi mức dùng giảm"
        (_, scope), pause = found
        when = pause.until.astimezone(VN).strftime("%H:%M %d/%m")
        return f"{rate_pauses.SCOPE_VI[scope]}; tiếp tục lúc {when}"

    def _throttled(self, page_id: str, kind: UsageType, err: GraphError) -> None:
        """Meta throttled a call: pause what it names, from now (its response time)."""
        until = self.governor.throttled(page_id, err.retry_after_seconds, kind, err)
        log.warning(
            "trang %s: Facebook giới hạn (%s), tạm dừng đến %s", page_id, err.short(), until
        )

    def _share_pauses(self) -> None:
        """Write the pauses this daemon set and take the ones other daemons set: an app-level
        pause stops every daemon's reads, a stated time ends it for all of them at once."""
        changes = self.governor.take_changes()
        with self.sessions.begin() as session:
            for (page_id, kind), pause in changes.items():
                rate_pauses.save_pause(
                    session,
                    rate_pauses.PauseRecord(
                        page_id,
                        kind,
                        pause.until,
                        pause.stated,
                        pause.backoff_seconds,
                        pause.reason[:80],
                        pause.set_at,
                    ),
                )
            stored = rate_pauses.pauses(session)
        for r in stored:
            scope = (r.page_id, cast(PauseKind, r.kind))
            self.governor.adopt(
                scope, Pause(r.until, r.stated, r.backoff_seconds, r.set_at, r.reason)
            )

    def _failed(
        self, poll: _PagePoll, failures: list[tuple[str, str, GraphError | None]]
    ) -> PageResult:
        page = poll.page
        reason = "; ".join(f"{_LABELS[unit]}: {why}" for unit, why, _ in failures)
        errors = [(unit, err) for unit, _, err in failures if err is not None]
        if not errors:
            # Only paused by the governor: nothing failed, the pause says when it resumes.
            return PageResult(page.id, page.name, False, reason, poll.counts)
        token_fp = None
        throttled_until = None
        for _unit, err in errors:
            if err.kind == "token":
                token_fp = token_fingerprint(page.access_token.reveal())
            elif err.kind == "throttled":
                # Registered when it happened (_throttled); the row keeps the feed's end.
                found = self.governor.pause_for(page.id, "pages")
                throttled_until = found[1].until if found is not None else throttled_until
        kind = "token" if token_fp else errors[0][1].kind
        self._record_failure(page, kind, reason, token_fp=token_fp, throttled_until=throttled_until)
        log.warning("trang %s (%s): %s", page.id, page.name, reason)
        return PageResult(page.id, page.name, False, reason, poll.counts)

    def _blocked_reason(self, page: PageSettings) -> str:
        with self.sessions.begin() as session:
            row = state.page_row(session, page.id)
            if row is None:
                return "trang chưa được đồng bộ (chạy lại pakn run)"
            fp = token_fingerprint(page.access_token.reveal())
            if row.quarantined_at is not None and row.quarantine_token_fp == fp:
                return f"đang cách ly vì mã truy cập hỏng: {row.last_error or ''}".strip()
        return ""

    def _claim(self, page: PageSettings) -> str | None:
        """Take the page's lease; returns None when ours, else the current holder."""
        lease = timedelta(seconds=self.settings.poll.lease_seconds)
        now = self.clock()
        with self.sessions.begin() as session:
            if state.claim_page(session, page.id, self.owner, now, lease):
                self._renewed[page.id] = now
                return None
            row = state.page_row(session, page.id)
            holder = (row.lease_owner if row else None) or "?"
            if _dead_on_this_host(holder) and state.take_over_page(
                session, page.id, holder, self.owner, now, lease
            ):
                # A daemon on this machine was killed mid-poll: no need to wait for its lease.
                log.info("trang %s: tiếp quản từ tiến trình đã dừng %s", page.id, holder)
                self._renewed[page.id] = now
                return None
            return holder

    def _renew(self, page_id: str) -> None:
        now = self.clock()
        lease = timedelta(seconds=self.settings.poll.lease_seconds)
        last = self._renewed.get(page_id)
        if last is not None and now - last < lease / 3:
            return
        with self.sessions.begin() as session:
            state.claim_page(session, page_id, self.owner, now, lease)
        self._renewed[page_id] = now

    def _release(self, page: PageSettings) -> None:
        with self.sessions.begin() as session:
            state.release_page(session, page.id, self.owner)

    def _record_failure(self, page: PageSettings, kind: str, reason: str, **extra: object) -> None:
        with self.sessions.begin() as session:
            # Stored, shown on /admin/pages and sent in alerts: no token may ride along.
            state.record_failure(session, page.id, self.clock(), kind, redact(reason), **extra)  # type: ignore[arg-type]

    # -- loops ----------------------------------------------------------------------------
    def run_jobs_once(self) -> list[PageResult]:
        results = self.poll_cycle()
        for job in self.jobs:
            self._guarded(job)()
        return results

    def run_once(self) -> int:
        """``pakn run --once``: 0 when every page was polled, 1 when any page failed."""
        results = self.run_jobs_once()
        return 0 if all(r.ok for r in results) else 1

    def run_forever(self) -> None:
        self._install_signals()
        scheduler = schedule.Scheduler()
        scheduler.every(self.settings.poll_interval_seconds).seconds.do(self._guarded_cycle)
        for job in self.jobs:
            scheduler.every(job.every_seconds).seconds.do(self._guarded(job))
        scheduler.run_all()
        while not self.stop.is_set():
            scheduler.run_pending()
            idle = scheduler.idle_seconds
            self.stop.wait(timeout=max(0.5, min(idle if idle is not None else 1.0, 5.0)))
        log.info("đã dừng daemon")

    def _guarded_cycle(self) -> None:
        try:
            self.poll_cycle()
        except Exception:
            log.exception("vòng đọc thất bại; sẽ thử lại ở vòng sau")

    def _guarded(self, job: Job) -> Callable[[], None]:
        def run() -> None:
            if self.stop.is_set():
                return
            try:
                job.run()
            except Exception:
                log.exception("tác vụ %s thất bại; sẽ thử lại", job.name)

        return run

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def handler(signum: int, _frame: FrameType | None) -> None:
            log.info(
                "nhận tín hiệu %s: hoàn tất phần đang làm rồi dừng", signal.Signals(signum).name
            )
            self.stop.set()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)


def _dead_on_this_host(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _op(path: str, params: dict[str, object], token: str) -> BatchOp:
    return BatchOp(relative_url=f"{path}?{urlencode(params)}", token=token)
