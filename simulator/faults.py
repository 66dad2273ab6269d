"""Switchable faults, decided by a seeded RNG so a failing run can be replayed."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from typing import Any

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
