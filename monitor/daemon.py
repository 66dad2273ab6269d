"""The polling daemon (``pakn run``): every page, every cycle, no page able to stop the others."""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import FrameType
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import schedule
from sqlalchemy.orm import Session, sessionmaker

from config.settings import PageSettings, Settings
from monitor.errors import GraphError, redact
from monitor.governor import Governor
from monitor.graph import BatchOp, GraphClient
from monitor.page_poll import FirstPage, PagePoll
from monitor.pollers import conversations_request, feed_request
from monitor.threads import PollContext, PollCounts, StopRequested
from storage import poll_state as state
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
    counts: PollCounts = field(default_factory=PollCounts)


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
        )
        self._renewed: dict[str, datetime] = {}
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
                    self.governor.restore(page.id, row.usage_percent, row.throttled_until)

    def add_job(self, name: str, every_seconds: int, run: Callable[[], object]) -> None:
        self.jobs.append(Job(name, every_seconds, run))

    # -- one cycle ------------------------------------------------------------------------
    def poll_cycle(self) -> list[PageResult]:
        results: list[PageResult] = []
        ready: list[PageSettings] = []
        for page in self.settings.pages:
            blocked = self._blocked_reason(page)
            if blocked:
                results.append(PageResult(page.id, page.name, False, blocked))
            else:
                ready.append(page)
        claimed: list[PageSettings] = []
        for page in ready:
            holder = self._claim(page)
            if holder is None:
                claimed.append(page)
            else:
                reason = f"đang được tiến trình khác đọc ({holder}); bỏ qua ở vòng này"
                results.append(PageResult(page.id, page.name, False, reason))
        firsts = self._first_pages(claimed)
        for page in claimed:
            if self.stop.is_set():
                results.append(PageResult(page.id, page.name, False, "dừng theo yêu cầu"))
                self._release(page)
                continue
            results.append(self._poll_page(page, *firsts.get(page.id, (None, None))))
        self.last_results = results
        return results

    def _blocked_reason(self, page: PageSettings) -> str:
        with self.sessions.begin() as session:
            row = state.page_row(session, page.id)
            if row is None:
                return "trang chưa được đồng bộ (chạy lại pakn run)"
            fp = token_fingerprint(page.access_token.reveal())
            if row.quarantined_at is not None and row.quarantine_token_fp == fp:
                return f"đang cách ly vì mã truy cập hỏng: {row.last_error or ''}".strip()
        if self.governor.level(page.id) == "paused":
            until = self.governor.usage(page.id).paused_until
            when = until.astimezone(VN).strftime("%H:%M %d/%m") if until else "khi mức dùng giảm"
            return f"Facebook đang giới hạn số lần gọi; tiếp tục lúc {when}"
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

    def _first_pages(self, pages: list[PageSettings]) -> dict[str, tuple[FirstPage, FirstPage]]:
        """The idle check for every page in as few HTTP requests as Meta allows (50 ops each)."""
        if not self.settings.graph.batch or len(pages) < 2:
            return {}
        ops: list[tuple[str, str, BatchOp]] = []
        for page in pages:
            token = page.access_token.reveal()
            if page.comments:
                ops.append((page.id, "feed", _op(*feed_request(page, self.settings.poll), token)))
            if page.messenger:
                ops.append(
                    (page.id, "inbox", _op(*conversations_request(page, self.settings.poll), token))
                )
        out: dict[str, list[FirstPage]] = {p.id: [None, None] for p in pages}
        for start in range(0, len(ops), BATCH_LIMIT):
            chunk = ops[start : start + BATCH_LIMIT]
            try:
                answers = self.client.batch([op for _, _, op in chunk], chunk[0][2].token)
            except GraphError as err:
                # The request as a whole failed (its top-level token, the network): each page
                # then asks for itself, so one bad token cannot hold the others back.
                log.warning("gọi gộp thất bại (%s); từng trang sẽ tự gọi", err.short())
                continue
            for (page_id, kind, _), answer in zip(chunk, answers, strict=True):
                out[page_id][0 if kind == "feed" else 1] = answer
        return {pid: (pair[0], pair[1]) for pid, pair in out.items()}

    def _poll_page(self, page: PageSettings, feed: FirstPage, inbox: FirstPage) -> PageResult:
        try:
            counts = PagePoll(self.ctx, page).run(feed, inbox)
        except StopRequested:
            return PageResult(
                page.id, page.name, False, "dừng theo yêu cầu; phần đã đọc đã được lưu"
            )
        except GraphError as err:
            return self._failed(page, err)
        except Exception as exc:
            log.exception("trang %s (%s): lỗi không mong đợi", page.id, page.name)
            reason = f"lỗi nội bộ {type(exc).__name__}: {exc}"
            self._record_failure(page, "internal", reason)
            return PageResult(page.id, page.name, False, reason)
        finally:
            self._release(page)
        self.governor.succeeded(page.id)
        usage = self.governor.usage(page.id)
        with self.sessions.begin() as session:
            state.record_success(
                session,
                page.id,
                self.clock(),
                usage.percent,
                usage.detail or None,
                self.client.served_version,
            )
        return PageResult(page.id, page.name, True, counts=counts)

    def _failed(self, page: PageSettings, err: GraphError) -> PageResult:
        reason = err.reason_vi()
        token_fp = None
        throttled_until = None
        if err.kind == "token":
            token_fp = token_fingerprint(page.access_token.reveal())
        elif err.kind == "throttled":
            throttled_until = self.governor.throttled(page.id, err.retry_after_seconds)
        self._record_failure(
            page, err.kind, reason, token_fp=token_fp, throttled_until=throttled_until
        )
        log.warning("trang %s (%s): %s", page.id, page.name, reason)
        return PageResult(page.id, page.name, False, reason)

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
