"""Slows down guessing tracking codes on the public status page, per client address.

The same idea as the sign-in throttle (review/throttle.py): only failures count. An address
may look up ``free`` codes that do not exist within ``window``; after that every lookup from it,
right or wrong, is answered 429 with Retry-After until its oldest miss leaves the window. A
citizen who mistypes a code a few times is not bothered; walking 2^40 codes at 10 per quarter
of an hour is hopeless. In memory, for the one web process, like the sign-in throttle.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

_MAX_TRACKED = 10_000


class LookupThrottle:
    def __init__(self, *, free: int = 10, window: timedelta = timedelta(minutes=15)) -> None:
        self.free, self.window = free, window
        self._misses: dict[str, list[datetime]] = {}
        self._lock = threading.Lock()

    def retry_after(self, address: str, now: datetime) -> int:
        """Seconds the address must wait before its next lookup (0: go ahead)."""
        with self._lock:
            recent = self._recent(address, now)
            if len(recent) < self.free:
                return 0
            free_again = recent[len(recent) - self.free] + self.window
            return max(1, int((free_again - now).total_seconds() + 0.999))

    def missed(self, address: str, now: datetime) -> None:
        """A lookup of a code that does not exist."""
        with self._lock:
            if address not in self._misses and len(self._misses) >= _MAX_TRACKED:
                self._forget_old(now)
            self._misses[address] = [*self._recent(address, now), now]

    def _recent(self, address: str, now: datetime) -> list[datetime]:
        return [t for t in self._misses.get(address, ()) if now - t < self.window]

    def _forget_old(self, now: datetime) -> None:
        for address in [a for a in self._misses if not self._recent(a, now)]:
            del self._misses[address]
        if len(self._misses) >= _MAX_TRACKED:
            # A flood from many addresses: start over rather than grow without bound.
            self._misses.clear()
