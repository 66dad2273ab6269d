"""Slows down password guessing from one address, whichever accounts it tries.

The account lock (storage.users) stops guessing one password; this stops trying one password
on many accounts. Each attempt is counted when it starts, before its password is checked, and
the decision to let it through is taken under the same lock: a burst of simultaneous requests
gets exactly ``free`` attempts through, the rest are told to wait. After ``free`` attempts
within ``window``, each further one must wait twice as long as the previous (1 s, 2 s, 4 s, ...
up to ``max_delay``). A successful sign-in takes back its own attempt only; it does not clear
the record, otherwise one valid account would let its owner reset the counter between guesses
at other accounts.

The state is in memory, shared by the threads of the one waitress process that serves the web;
a restart forgets it, which only helps someone who can restart the server anyway. The web
answers 429 with Retry-After rather than sleeping, so a guesser cannot tie up its threads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

_MAX_TRACKED = 10_000


@dataclass
class _Record:
    attempts: list[datetime] = field(default_factory=list)
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

    def attempt(self, address: str, now: datetime) -> int:
        """Start an attempt: 0 lets it through (it counts as a failure until ``succeeded``),
        otherwise the seconds the address must still wait (nothing is counted then)."""
        with self._lock:
            wait = self._wait(self._records.get(address), now)
            if wait:
                return wait
            if len(self._records) >= _MAX_TRACKED:
                self._forget_old(now)
            record = self._records.setdefault(address, _Record())
            record.attempts = [t for t in record.attempts if now - t < self.window] + [now]
            excess = len(record.attempts) - self.free
            if excess >= 0:
                delay = min(timedelta(seconds=2 ** min(excess, 30)), self.max_delay)
                record.blocked_until = now + delay
            return 0

    def succeeded(self, address: str, now: datetime) -> None:
        """The attempt started at ``now`` signed in: it was not a failure."""
        with self._lock:
            record = self._records.get(address)
            if record is None or now not in record.attempts:
                return
            record.attempts.remove(now)
            if len(record.attempts) < self.free:
                record.blocked_until = None

    def retry_after(self, address: str, now: datetime) -> int:
        """Seconds the address must still wait before its next attempt (0: go ahead)."""
        with self._lock:
            return self._wait(self._records.get(address), now)

    @staticmethod
    def _wait(record: _Record | None, now: datetime) -> int:
        if record is None or record.blocked_until is None or record.blocked_until <= now:
            return 0
        return max(1, int((record.blocked_until - now).total_seconds() + 0.999))

    def _forget_old(self, now: datetime) -> None:
        stale = [
            a
            for a, r in self._records.items()
            if not r.attempts or now - r.attempts[-1] >= self.window
        ]
        for address in stale:
            del self._records[address]
        if len(self._records) >= _MAX_TRACKED:
            # A flood from many addresses: start over rather than grow without bound.
            self._records.clear()
