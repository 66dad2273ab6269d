"""Sliding-window call budgets behind the usage headers and the 80001/80006/613/4 throttles."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# Meta's Pages formula is 4800 x engaged users per day; a small commune Page has few engaged
# users, so an hour-long window with a few thousand calls is a realistic default.
DEFAULT_CALLS = 4800
DEFAULT_WINDOW_SECONDS = 3600
# Messenger's own budget is 200 x engaged users per 24 hours (Meta's Messenger rate limits).
ENGAGED_USERS = 50
MESSENGER_CALLS = 200 * ENGAGED_USERS
MESSENGER_WINDOW_SECONDS = 86400
APP_CALLS = 20000
# Meta's Messenger rate-limit page: the Conversations API allows 2 calls per second per Page.
CONVERSATIONS_PER_SECOND = 2
KIND_DEFAULTS = {
    "pages": (DEFAULT_CALLS, DEFAULT_WINDOW_SECONDS),
    "messenger": (MESSENGER_CALLS, MESSENGER_WINDOW_SECONDS),
}


@dataclass(frozen=True)
class Usage:
    """One scope's usage as whole-number percentages, plus minutes until access returns."""

    call_count: int
    total_cputime: int
    total_time: int
    regain_minutes: int

    @property
    def exhausted(self) -> bool:
        return self.call_count >= 100


@dataclass
class Window:
    calls: int
    seconds: float
    stamps: deque[datetime] = field(default_factory=deque)

    def prune(self, now: datetime) -> None:
        edge = now - timedelta(seconds=self.seconds)
        while self.stamps and self.stamps[0] <= edge:
            self.stamps.popleft()

    def usage(self, now: datetime) -> Usage:
        self.prune(now)
        pct = min(100, (100 * len(self.stamps)) // max(1, self.calls))
        regain = 0
        if pct >= 100 and self.stamps:
            # Access returns when the oldest call leaves the window.
            free_at = self.stamps[0] + timedelta(seconds=self.seconds)
            regain = max(1, math.ceil((free_at - now).total_seconds() / 60))
        # CPU and wall time track the call count loosely, as on the real platform.
        return Usage(pct, (pct * 3) // 5, (pct * 4) // 5, regain)


class UsageMeter:
    """Per page and usage type ("pages" or "messenger") windows, plus one app-wide window."""

    def __init__(self) -> None:
        self._budgets: dict[tuple[str, str], tuple[int, float]] = {}
        self._windows: dict[tuple[str, str], Window] = {}
        self._app = Window(APP_CALLS, DEFAULT_WINDOW_SECONDS)
        # None switches the per-second limit off (for a harness whose clock never moves).
        self.conversations_per_second: int | None = CONVERSATIONS_PER_SECOND
        self._bursts: dict[str, Window] = {}

    def set_budget(self, page_id: str, kind: str, calls: int, seconds: float) -> None:
        if calls < 1 or seconds <= 0:
            raise ValueError("calls must be >= 1 and seconds > 0")
        self._budgets[(page_id, kind)] = (calls, seconds)
        window = self._windows.get((page_id, kind))
        if window is not None:
            window.calls, window.seconds = calls, seconds

    def _window(self, page_id: str, kind: str) -> Window:
        key = (page_id, kind)
        if key not in self._windows:
            default = KIND_DEFAULTS.get(kind, KIND_DEFAULTS["pages"])
            calls, seconds = self._budgets.get(key, default)
            self._windows[key] = Window(calls, seconds)
        return self._windows[key]

    def page_usage(self, page_id: str, kind: str, now: datetime) -> Usage:
        return self._window(page_id, kind).usage(now)

    def app_usage(self, now: datetime) -> Usage:
        return self._app.usage(now)

    def record(self, page_id: str | None, kind: str, now: datetime) -> None:
        self._app.stamps.append(now)
        if page_id is not None:
            self._window(page_id, kind).stamps.append(now)

    def conversations_busy(self, page_id: str, now: datetime) -> int | None:
        """Minutes to wait when the Page used its Conversations API calls for this second."""
        if self.conversations_per_second is None:
            return None
        burst = self._bursts.setdefault(page_id, Window(self.conversations_per_second, 1.0))
        burst.calls = self.conversations_per_second
        usage = burst.usage(now)
        return usage.regain_minutes if usage.exhausted else None

    def record_conversations(self, page_id: str, now: datetime) -> None:
        if self.conversations_per_second is not None:
            self._bursts[page_id].stamps.append(now)
