"""Rate-limit governors fed by Meta's usage headers: one per page and usage type, plus the app.

Meta counts a Page's calls in separate budgets (``X-Business-Use-Case-Usage`` entries carry a
``type``): ``pages`` for the feed and comments, ``messenger`` for conversations (200 × engaged
users a day, and at most 2 conversation calls per second). A tight Messenger budget must never
stop the comment reconciliation, so each type has its own levels and pause.

Levels (README, "Rate limits"): below 50 % normal; 50–75 % skip low-priority sweeps; 75–90 %
only discover new items; from 90 %, or after a throttling error, pause that type on that page
until Meta says access is regained (else back off from 60 s, doubling, up to an hour). The
app's usage (``X-App-Usage``) is a governor of its own: from 90 % every page waits.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from monitor.errors import buc_entries, header

Level = Literal["normal", "slow", "essential", "paused"]
UsageType = Literal["pages", "messenger"]
STALE_USAGE = timedelta(minutes=15)


@dataclass
class PageUsage:
    percent: float = 0.0
    detail: str = ""
    paused_until: datetime | None = None
    backoff_seconds: float = 0.0
    observed_at: datetime | None = None


def usage_type(entry: Mapping[str, object]) -> UsageType:
    return "messenger" if str(entry.get("type", "")).lower() == "messenger" else "pages"


class Governor:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.scopes: dict[tuple[str, UsageType], PageUsage] = {}
        self.app_percent = 0.0
        self._lock = threading.Lock()

    @property
    def pages(self) -> dict[str, PageUsage]:
        """The ``pages`` scope of every page (what the page row stores)."""
        return {pid: u for (pid, kind), u in self.scopes.items() if kind == "pages"}

    def observe(self, headers: Mapping[str, str]) -> None:
        """Record every usage figure a response carries (page BUC per type, and app usage)."""
        with self._lock:
            grouped: dict[tuple[str, UsageType], list[dict[str, object]]] = {}
            for entry in buc_entries(headers):
                key = (str(entry["business_id"]), usage_type(entry))
                grouped.setdefault(key, []).append(entry)
            for key, entries in grouped.items():
                usage = self.scopes.setdefault(key, PageUsage())
                usage.percent = max(_pct(e) for e in entries)
                usage.observed_at = self.clock()
                usage.detail = json.dumps(entries, ensure_ascii=False, sort_keys=True)
                eta = max(
                    float(str(e.get("estimated_time_to_regain_access") or 0)) for e in entries
                )
                if eta > 0:
                    usage.paused_until = self.clock() + timedelta(minutes=eta)
            app = header(headers, "x-app-usage")
            if app:
                with contextlib.suppress(ValueError, AttributeError):
                    self.app_percent = _pct(json.loads(app))

    def throttled(
        self, page_id: str, retry_after_seconds: float | None, kind: UsageType = "pages"
    ) -> datetime:
        """A throttling error: pause that type on the page; returns when it may call again."""
        with self._lock:
            usage = self.scopes.setdefault((page_id, kind), PageUsage())
            usage.backoff_seconds = min(3600.0, max(60.0, usage.backoff_seconds * 2))
            wait = max(retry_after_seconds or 0.0, usage.backoff_seconds)
            usage.paused_until = self.clock() + timedelta(seconds=wait)
            return usage.paused_until

    def succeeded(self, page_id: str, kind: UsageType = "pages") -> None:
        with self._lock:
            usage = self.scopes.get((page_id, kind))
            if usage is not None:
                usage.backoff_seconds = 0.0

    def restore(
        self,
        page_id: str,
        percent: float | None,
        paused_until: datetime | None,
        observed_at: datetime | None = None,
    ) -> None:
        """Seed the ``pages`` scope from the database after a restart, so a pause holds. The
        reading keeps the time it was taken: an hour-old 80 % says nothing about now."""
        with self._lock:
            usage = self.scopes.setdefault((page_id, "pages"), PageUsage())
            if usage.observed_at is None:
                usage.percent = percent or 0.0
                usage.observed_at = observed_at or self.clock()
            if paused_until and (usage.paused_until is None or paused_until > usage.paused_until):
                usage.paused_until = paused_until

    def level(self, page_id: str, kind: UsageType = "pages") -> Level:
        usage = self.scopes.get((page_id, kind), PageUsage())
        now = self.clock()
        if usage.paused_until is not None and usage.paused_until > now:
            return "paused"
        fresh = usage.observed_at is not None and now - usage.observed_at < STALE_USAGE
        if usage.paused_until is not None and usage.observed_at is not None:
            # Meta named the moment access comes back; a reading taken before it is spent.
            fresh = fresh and not (usage.observed_at <= usage.paused_until <= now)
        if self.app_percent >= 90:
            return "paused"  # the app's own budget is nearly spent: every page waits
        # Page-token calls count against the page's budget of their type, not the app's (Meta's
        # rate-limit guide): app usage alone does not shed a page's work before that.
        # An old reading says nothing about now: probe again rather than pause for ever.
        pct = usage.percent if fresh else 0.0
        if pct >= 90:
            return "paused"
        if pct >= 75:
            return "essential"
        if pct >= 50:
            return "slow"
        return "normal"

    def usage(self, page_id: str, kind: UsageType = "pages") -> PageUsage:
        return self.scopes.get((page_id, kind), PageUsage())


class Pacer:
    """At most ``rate`` calls per second per page (Meta: 2 conversation calls/s per Page).

    Real time, not the poll clock: it spaces HTTP requests, whatever time the tests pretend.
    ``wait`` is an Event's wait, so a stop request ends the pause at once.
    """

    def __init__(
        self,
        rate: float,
        wait: Callable[[float], object],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.wait = wait
        self.monotonic = monotonic
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def __call__(self, page_id: str) -> None:
        if self.interval <= 0:
            return
        with self._lock:
            now = self.monotonic()
            at = max(now, self._last.get(page_id, -self.interval) + self.interval)
            self._last[page_id] = at
        if at > now:
            self.wait(at - now)


def _pct(entry: Mapping[str, object]) -> float:
    values = [entry.get(k) for k in ("call_count", "total_cputime", "total_time")]
    return max((float(v) for v in values if isinstance(v, int | float)), default=0.0)
