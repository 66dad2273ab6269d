"""Request counters for tests and benchmarks (how many calls did a poll cycle cost?)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._http = 0
            self._calls = 0
            self._by_page: Counter[str] = Counter()
            self._by_path: Counter[str] = Counter()

    def count_http(self, path: str) -> None:
        """One HTTP request; `path` is the URL path without the version prefix."""
        with self._lock:
            self._http += 1
            self._by_path[path] += 1

    def count_call(self) -> None:
        """One Graph call: a plain request, or one operation of a batch."""
        with self._lock:
            self._calls += 1

    def count_page(self, page_id: str) -> None:
        with self._lock:
            self._by_page[page_id] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "http_requests": self._http,
                "graph_calls": self._calls,
                "calls_by_page": dict(self._by_page),
                "requests_by_path": dict(self._by_path),
            }
