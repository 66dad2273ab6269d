"""Slows down password guessing from one address, whichever accounts it tries.

The account lock (storage.users) stops guessing one password; this stops trying one password
on many accounts. After ``free`` failures within ``window``, each further attempt from the
address must wait twice as long as the previous one (1 s, 2 s, 4 s, ... up to ``max_delay``).
The state is in memory: a restart forgets it, which only helps someone who can restart the
server anyway. The web answers 429 with Retry-After rather than sleeping, so a guesser cannot
tie up the server's threads. A successful sign-in does not clear the record: otherwise one
valid account would let its owner reset the counter between guesses at other accounts.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

_MAX_TRACKED = 10_000


@dataclass
class _Record:
    failures: list[datetime] = field(default_factory=list)
    blocked_until: datetime | None = None


class LoginThrottle:
    def __init__(
        self,
        *,
        free: int = 5,
        window: timedelta = timedelta(minutes=15),
        max_delay: timedelta = timedelta(minutes=5),
    ) -> None:
        self.free, self.window, self.max_delay = free, window, max_delay
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

    def retry_after(self, address: str, now: datetime) -> int:
        """Seconds the address must still wait before its next attempt (0: go ahead)."""
        with self._lock:
            record = self._records.get(address)
            if record is None or record.blocked_until is None or record.blocked_until <= now:
                return 0
            return max(1, int((record.blocked_until - now).total_seconds() + 0.999))

    def failure(self, address: str, now: datetime) -> None:
        with self._lock:
            if len(self._records) >= _MAX_TRACKED:
                self._forget_old(now)
            record = self._records.setdefault(address, _Record())
            record.failures = [t for t in record.failures if now - t < self.window] + [now]
            excess = len(record.failures) - self.free
            if excess > 0:
                delay = min(timedelta(seconds=2 ** min(excess - 1, 30)), self.max_delay)
                record.blocked_until = now + delay

    def _forget_old(self, now: datetime) -> None:
        stale = [
            a
            for a, r in self._records.items()
            if not r.failures or now - r.failures[-1] >= self.window
        ]
        for address in stale:
            del self._records[address]
        if len(self._records) >= _MAX_TRACKED:
            # A flood from many addresses: start over rather than grow without bound.
            self._records.clear()
