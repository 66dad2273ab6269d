"""Switchable faults, decided by a seeded RNG so a failing run can be replayed."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from datetime import datetime
from typing import Any

# What a timed throttle covers (Meta's rate-limiting guide; graph-api.md §4.2 and §5):
# "app": every call of the app answers (#4) with X-App-Usage at 100 %; "page": every call of
# the page answers (#32) "Page request limit reached", with no usage header; "pages" or
# "messenger": that page's calls of that type answer 80001 or 80006 with the minutes left in
# X-Business-Use-Case-Usage ``estimated_time_to_regain_access``.
THROTTLE_KINDS = ("app", "page", "pages", "messenger")

_RATES = (
    "http_500_rate",
    "html_502_rate",
    "slow_rate",
    "drop_rate",
    "batch_null_rate",
    "empty_page_rate",
)


class Faults:
    """All switches default to off. `set()` and `clear()` are safe from any thread."""

    http_500_rate: float
    html_502_rate: float
    slow_rate: float
    drop_rate: float
    batch_null_rate: float
    empty_page_rate: float
    slow_seconds: float
    throttle_pages: set[str]
    throttle_messenger: set[str]
    app_throttle: bool
    # Timed throttles, ended by the world's clock: (page id or "" for the app, kind) -> end.
    throttles: dict[tuple[str, str], datetime]

    def __init__(self, seed: int = 0, **switches: Any) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._reset()
        self.set(**switches)

    def _reset(self) -> None:
        for name in _RATES:
            setattr(self, name, 0.0)
        self.slow_seconds = 0.2
        self.throttle_pages = set()
        # Pages whose Messenger calls answer 80006 while their Pages calls keep working.
        self.throttle_messenger = set()
        self.app_throttle = False
        self.throttles = {}

    def throttle(self, kind: str, until: datetime, page_id: str = "") -> None:
        """Throttle ``kind`` (one of THROTTLE_KINDS) until the world's clock reaches ``until``:
        `throttle("messenger", now + timedelta(minutes=7), page_id="123")`."""
        if kind not in THROTTLE_KINDS:
            raise ValueError(f"unknown throttle kind {kind!r}; expected one of {THROTTLE_KINDS}")
        if (kind == "app") != (page_id == ""):
            raise ValueError("an app throttle names no page; every other kind names one")
        with self._lock:
            self.throttles[(page_id, kind)] = until

    def throttled_until(
        self, page_id: str | None, kind: str, now: datetime
    ) -> tuple[str, datetime] | None:
        """The running timed throttle that stops this call: (its kind, its end), app first."""
        with self._lock:
            for key in (("", "app"), (page_id or "", "page"), (page_id or "", kind)):
                until = self.throttles.get(key)
                if until is not None and until > now and (key[1] == "app" or page_id):
                    return key[1], until
        return None

    def set(self, **switches: Any) -> None:
        """Change some switches, e.g. `set(http_500_rate=0.2, throttle_pages={"123"})`."""
        with self._lock:
            for name, value in switches.items():
                setattr(self, name, self._checked(name, value))

    def clear(self) -> None:
        with self._lock:
            self._reset()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            state: dict[str, Any] = {name: getattr(self, name) for name in _RATES}
            state.update(
                slow_seconds=self.slow_seconds,
                throttle_pages=sorted(self.throttle_pages),
                throttle_messenger=sorted(self.throttle_messenger),
                app_throttle=self.app_throttle,
                throttles={f"{p}:{k}": u.isoformat() for (p, k), u in self.throttles.items()},
            )
            return state

    def roll(self, name: str) -> bool:
        """True when the fault `name` (one of the *_rate switches) fires for this request."""
        with self._lock:
            rate = float(getattr(self, name))
            return rate > 0 and self._rng.random() < rate

    def page_throttled(self, page_id: str | None, kind: str = "pages") -> bool:
        if page_id is None:
            return False
        return page_id in self.throttle_pages or (
            kind == "messenger" and page_id in self.throttle_messenger
        )

    @staticmethod
    def _checked(name: str, value: Any) -> Any:
        if name in _RATES:
            rate = float(value)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value!r}")
            return rate
        if name == "slow_seconds":
            return max(0.0, float(value))
        if name in ("throttle_pages", "throttle_messenger"):
            pages: Iterable[Any] = [value] if isinstance(value, str) else value
            return {str(page) for page in pages}
        if name == "app_throttle":
            return bool(value)
        raise ValueError(f"unknown fault switch {name!r}")
