"""Per-page rate-limit governor fed by Meta's usage headers.

Levels (README, "Rate limits"): below 50 % normal; 50–75 % skip low-priority sweeps; 75–90 %
only discover new items; from 90 %, or after a throttling error, pause the page until Meta says
access is regained (else back off from 60 s, doubling, up to an hour).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from monitor.errors import buc_entries, header

Level = Literal["normal", "slow", "essential", "paused"]
STALE_USAGE = timedelta(minutes=15)


@dataclass
class PageUsage:
    percent: float = 0.0
    detail: str = ""
    paused_until: datetime | None = None
    backoff_seconds: float = 0.0
    observed_at: datetime | None = None


class Governor:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.pages: dict[str, PageUsage] = {}
        self.app_percent = 0.0
        self._lock = threading.Lock()

    def observe(self, headers: Mapping[str, str]) -> None:
        """Record every usage figure a response carries (page BUC and app usage)."""
        with self._lock:
            per_page: dict[str, list[dict[str, object]]] = {}
            for entry in buc_entries(headers):
                per_page.setdefault(str(entry["business_id"]), []).append(entry)
            for page_id, entries in per_page.items():
                usage = self.pages.setdefault(page_id, PageUsage())
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

    def throttled(self, page_id: str, retry_after_seconds: float | None) -> datetime:
        """A throttling error: pause the page; returns when it may be called again."""
        with self._lock:
            usage = self.pages.setdefault(page_id, PageUsage())
            usage.backoff_seconds = min(3600.0, max(60.0, usage.backoff_seconds * 2))
            wait = max(retry_after_seconds or 0.0, usage.backoff_seconds)
            usage.paused_until = self.clock() + timedelta(seconds=wait)
            return usage.paused_until

    def succeeded(self, page_id: str) -> None:
        with self._lock:
            usage = self.pages.get(page_id)
            if usage is not None:
                usage.backoff_seconds = 0.0

    def restore(self, page_id: str, percent: float | None, paused_until: datetime | None) -> None:
        """Seed state from the database after a restart, so a paused page stays paused."""
        with self._lock:
            usage = self.pages.setdefault(page_id, PageUsage())
            usage.percent = max(usage.percent, percent or 0.0)
            usage.observed_at = usage.observed_at or self.clock()
            if paused_until and (usage.paused_until is None or paused_until > usage.paused_until):
                usage.paused_until = paused_until

    def level(self, page_id: str) -> Level:
        usage = self.pages.get(page_id, PageUsage())
        if usage.paused_until is not None and usage.paused_until > self.clock():
            return "paused"
        now = self.clock()
        fresh = usage.observed_at is not None and now - usage.observed_at < STALE_USAGE
        if usage.paused_until is not None and usage.observed_at is not None:
            # Meta named the moment access comes back; a reading taken before it is spent.
            fresh = fresh and not (usage.observed_at <= usage.paused_until <= now)
        # An old reading says nothing about now: probe again rather than pause for ever.
        pct = max(usage.percent if fresh else 0.0, self.app_percent)
        if pct >= 90:
            return "paused"
        if pct >= 75:
            return "essential"
        if pct >= 50:
            return "slow"
        return "normal"

    def usage(self, page_id: str) -> PageUsage:
        return self.pages.get(page_id, PageUsage())


def _pct(entry: Mapping[str, object]) -> float:
    values = [entry.get(k) for k in ("call_count", "total_cputime", "total_time")]
    return max((float(v) for v in values if isinstance(v, int | float)), default=0.0)
