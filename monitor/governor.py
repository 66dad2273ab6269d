"""Rate-limit governors fed by Meta's usage headers: one per page and usage type, plus the app.

Meta counts a Page's calls in separate budgets (``X-Business-Use-Case-Usage`` entries carry a
``type``): ``pages`` for the feed and comments, ``messenger`` for conversations (200 × engaged
users a day, and at most 2 conversation calls per second). A tight Messenger budget must never
stop the comment reconciliation, so each type has its own levels and pause.

Levels (README, "Rate limits"): below 50 % normal; 50–75 % skip low-priority sweeps; 75–90 %
only discover new items; from 90 % pause that type on that page.

A throttle pauses exactly what Meta throttled (Meta's rate-limiting guide, "Business Use Case
Rate Limits" and "Platform Rate Limits"; /work/shared/reference/graph-api.md §4.2, §5):

* the app (``X-App-Usage`` at 90 % or more, error 4, 17 or 341): every page waits, since every
  page's calls count against the one app;
* one page and one usage type (a ``X-Business-Use-Case-Usage`` entry with
  ``estimated_time_to_regain_access`` > 0, error 80001 for ``pages``, 80006 for ``messenger``,
  613 for the call's own type): only that page's calls of that type wait;
* one page (error 32 or 368, which name no type): only that page waits.

A pause ends when Meta said access returns (``estimated_time_to_regain_access`` is in minutes,
counted from the response that carried it), never later; without a stated time it backs off
from 60 s, doubling up to an hour. Nothing else ends it early: a success for another page or a
webhook does not say this scope is clear.
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

from monitor.errors import GraphError, buc_entries, header

Level = Literal["normal", "slow", "essential", "paused"]
UsageType = Literal["pages", "messenger"]
# What a pause covers: the whole app, a whole page, or one usage type of a page.
PauseKind = Literal["app", "page", "pages", "messenger"]
Scope = tuple[str, PauseKind]  # (page id, kind); the app's scope has an empty page id
APP: Scope = ("", "app")
STALE_USAGE = timedelta(minutes=15)
APP_PAUSE_PERCENT = 90.0
BACKOFF_FIRST_SECONDS = 60.0
BACKOFF_MAX_SECONDS = 3600.0
# Error codes by what they throttle (Meta's error reference; graph-api.md §4.2). 4: the app's
# request limit; 17: the user-level limit of the token's user (with a Page token this is still
# the app's callers as a whole, never one page); 341: "Application limit reached".
APP_CODES = frozenset({4, 17, 341})
# 32: "Page request limit reached"; 368: temporarily blocked for policy violations on the page.
PAGE_CODES = frozenset({32, 368})
TYPE_OF_CODE: dict[int, UsageType] = {80001: "pages", 80006: "messenger"}


@dataclass
class PageUsage:
    percent: float = 0.0
    detail: str = ""
    paused_until: datetime | None = None
    backoff_seconds: float = 0.0
    observed_at: datetime | None = None


@dataclass
class Pause:
    """One scope's pause: until when, whether Meta stated that time, and why."""

    until: datetime
    stated: bool
    backoff_seconds: float
    set_at: datetime
    reason: str


def usage_type(entry: Mapping[str, object]) -> UsageType:
    return "messenger" if str(entry.get("type", "")).lower() == "messenger" else "pages"


def throttle_scope(page_id: str, kind: UsageType, err: GraphError) -> Scope:
    """The scope a throttling error names: the app, the page, or one type of the page."""
    if err.code in APP_CODES:
        return APP
    if err.code in PAGE_CODES:
        return (page_id, "page")
    return (page_id, TYPE_OF_CODE.get(err.code or 0, kind))


class Governor:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.scopes: dict[tuple[str, UsageType], PageUsage] = {}
        self.pauses: dict[Scope, Pause] = {}
        self.app_percent = 0.0
        self.changed: set[Scope] = set()  # pauses set here and not yet shared with others
        self._lock = threading.Lock()

    @property
    def pages(self) -> dict[str, PageUsage]:
        """The ``pages`` scope of every page (what the page row stores)."""
        return {pid: u for (pid, kind), u in self.scopes.items() if kind == "pages"}

    def observe(self, headers: Mapping[str, str]) -> None:
        """Record every usage figure a response carries (page BUC per type, and app usage)."""
        with self._lock:
            now = self.clock()
            grouped: dict[tuple[str, UsageType], list[dict[str, object]]] = {}
            for entry in buc_entries(headers):
                key = (str(entry["business_id"]), usage_type(entry))
                grouped.setdefault(key, []).append(entry)
            for key, entries in grouped.items():
                usage = self.scopes.setdefault(key, PageUsage())
                usage.percent = max(_pct(e) for e in entries)
                usage.observed_at = now
                usage.detail = json.dumps(entries, ensure_ascii=False, sort_keys=True)
                eta = max(_minutes(e.get("estimated_time_to_regain_access")) for e in entries)
                if eta > 0:
                    # Meta's own time, in minutes from this response: not a minute more.
                    until = now + timedelta(minutes=eta)
                    self._set((key[0], key[1]), until, True, 0.0, f"BUC {key[1]} {eta:g} phút")
            app = header(headers, "x-app-usage")
            if app:
                with contextlib.suppress(ValueError, AttributeError):
                    self.app_percent = _pct(json.loads(app))
                    self._app_reading(now)

    def _app_reading(self, now: datetime) -> None:
        """X-App-Usage states no regain time: from 90 % the app waits a computed backoff."""
        pause = self.pauses.get(APP)
        if self.app_percent < APP_PAUSE_PERCENT:
            if pause is not None and pause.until <= now:
                pause.backoff_seconds = 0.0  # clear again after its pause: start over at 60 s
            return
        if pause is not None and pause.until > now:
            return  # an answer to a call made before the pause: the pause already holds
        wait = _next_backoff(pause)
        self._set(APP, now + timedelta(seconds=wait), False, wait, "X-App-Usage")

    def throttled(
        self,
        page_id: str,
        retry_after_seconds: float | None,
        kind: UsageType = "pages",
        err: GraphError | None = None,
    ) -> datetime:
        """A throttling error: pause the scope it names; returns when it may call again.

        ``retry_after_seconds`` is Meta's stated time when the response carried one. A pause
        Meta stated for this scope and still running is kept as is: the error's response
        already set it (``observe`` runs first) and backing off on top would outlast it."""
        with self._lock:
            now = self.clock()
            scope = throttle_scope(page_id, kind, err) if err is not None else (page_id, kind)
            pause = self.pauses.get(scope)
            if pause is not None and pause.until > now and pause.stated:
                return pause.until
            reason = f"#{err.code}" if err is not None and err.code is not None else "throttled"
            # X-App-Usage states no time; a BUC entry's time is about a page, not the app.
            if retry_after_seconds and scope != APP:
                until = now + timedelta(seconds=retry_after_seconds)
                return self._set(scope, until, True, 0.0, reason).until
            if pause is not None and pause.until > now:
                return pause.until  # already backing off: another call of the same cycle
            wait = _next_backoff(pause)
            return self._set(scope, now + timedelta(seconds=wait), False, wait, reason).until

    def _set(self, scope: Scope, until: datetime, stated: bool, backoff: float, why: str) -> Pause:
        pause = Pause(until, stated, backoff, self.clock(), why)
        self.pauses[scope] = pause
        self.changed.add(scope)
        if scope[1] in ("pages", "messenger"):
            self.scopes.setdefault((scope[0], scope[1]), PageUsage()).paused_until = until
        return pause

    def succeeded(self, page_id: str, kind: UsageType = "pages") -> None:
        """A clean read of this page and type: the next throttle backs off from 60 s again.
        It never ends a running pause (a success elsewhere says nothing about this scope)."""
        with self._lock:
            now = self.clock()
            for scope in ((page_id, kind), (page_id, "page")):
                pause = self.pauses.get(scope)
                if pause is not None and pause.until <= now:
                    pause.backoff_seconds = 0.0

    def adopt(self, scope: Scope, pause: Pause) -> None:
        """A pause another daemon (or this one before a restart) recorded: the newer word
        about a scope wins, so every daemon ends the pause at the same stated time."""
        with self._lock:
            mine = self.pauses.get(scope)
            if mine is None or pause.set_at > mine.set_at:
                self.pauses[scope] = pause
                if scope[1] in ("pages", "messenger"):
                    usage = self.scopes.setdefault((scope[0], scope[1]), PageUsage())
                    usage.paused_until = pause.until

    def take_changes(self) -> dict[Scope, Pause]:
        with self._lock:
            out = {s: self.pauses[s] for s in self.changed if s in self.pauses}
            self.changed.clear()
            return out

    def restore(
        self,
        page_id: str,
        percent: float | None,
        paused_until: datetime | None,
        observed_at: datetime | None = None,
    ) -> None:
        """Seed the ``pages`` scope from the database after a restart. The reading keeps the
        time it was taken: an hour-old 80 % says nothing about now. (Pauses come back through
        ``adopt``, with their scope.)"""
        with self._lock:
            usage = self.scopes.setdefault((page_id, "pages"), PageUsage())
            if usage.observed_at is None:
                usage.percent = percent or 0.0
                usage.observed_at = observed_at or self.clock()
            if paused_until and (usage.paused_until is None or paused_until > usage.paused_until):
                usage.paused_until = paused_until

    def pause_for(self, page_id: str, kind: UsageType = "pages") -> tuple[Scope, Pause] | None:
        """The running pause that stops this page's calls of this type, the longest first."""
        now = self.clock()
        running = [
            (scope, self.pauses[scope])
            for scope in (APP, (page_id, "page"), (page_id, kind))
            if scope in self.pauses and self.pauses[scope].until > now
        ]
        return max(running, key=lambda sp: sp[1].until, default=None)

    def holds(self, page_id: str | None, kind: UsageType = "pages") -> bool:
        """Whether a running pause stops this page's calls of this type (None: no page)."""
        return page_id is not None and self.pause_for(page_id, kind) is not None

    def level(self, page_id: str, kind: UsageType = "pages") -> Level:
        if self.pause_for(page_id, kind) is not None:
            return "paused"
        usage = self.scopes.get((page_id, kind), PageUsage())
        now = self.clock()
        fresh = usage.observed_at is not None and now - usage.observed_at < STALE_USAGE
        if usage.paused_until is not None and usage.observed_at is not None:
            # Meta named the moment access comes back; a reading taken before it is spent.
            fresh = fresh and not (usage.observed_at <= usage.paused_until <= now)
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


def _next_backoff(previous: Pause | None) -> float:
    last = previous.backoff_seconds if previous is not None else 0.0
    return min(BACKOFF_MAX_SECONDS, max(BACKOFF_FIRST_SECONDS, last * 2))


def _minutes(value: object) -> float:
    try:
        return max(0.0, float(str(value or 0)))
    except ValueError:
        return 0.0


def _pct(entry: Mapping[str, object]) -> float:
    values = [entry.get(k) for k in ("call_count", "total_cputime", "total_time")]
    return max((float(v) for v in values if isinstance(v, int | float)), default=0.0)
