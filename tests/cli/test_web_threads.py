"""``pakn web`` serves with ``web.threads`` threads and says once a minute, not per request,
that requests wait for one."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker
from waitress.task import ThreadedTaskDispatcher

from cli.main import main
from cli.web import QueueDepthSummary
from config.schema import ConfigError
from config.settings import parse
from tests.cli.test_users_and_web import FakeApp
from tests.review.personas import make_settings


class FakeServer:
    def run(self) -> None:
        return None


def test_pakn_web_serves_with_the_configured_number_of_threads(
    sqlite_sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: dict[str, Any] = {}

    def create_server(_app: Any, **kwargs: Any) -> FakeServer:
        asked.update(kwargs)
        return FakeServer()

    monkeypatch.setattr("waitress.create_server", create_server)
    queue_log = logging.getLogger("waitress.queue")
    monkeypatch.setattr(queue_log, "filters", [])  # the summary it installs goes with the test
    settings = make_settings(str(tmp_path))
    settings = replace(settings, web=replace(settings.web, threads=12))
    result = CliRunner().invoke(main, ["web"], obj=FakeApp(settings, sqlite_sessions))
    assert result.exit_code == 0, result.output
    assert asked["threads"] == 12
    assert [type(f) for f in queue_log.filters] == [QueueDepthSummary]


def test_web_threads_defaults_to_8_and_refuses_what_the_database_pool_cannot_serve() -> None:
    assert parse("units: []\n").web.threads == 8
    assert parse("web:\n  threads: 15\n").web.threads == 15
    with pytest.raises(ConfigError, match=r"web\.threads: cần từ 1 đến 15, nhận 40.*tiến trình"):
        parse("web:\n  threads: 40\n")
    with pytest.raises(ConfigError, match=r"web\.threads"):
        parse("web:\n  threads: 0\n")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_waitress_queue_warnings_come_at_most_once_a_minute_with_the_deepest_queue(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, queue_log = Clock(), logging.getLogger("waitress.queue")
    summary = QueueDepthSummary(clock)
    queue_log.addFilter(summary)
    dispatcher = ThreadedTaskDispatcher()  # no threads: every task waits, as under load
    try:
        with caplog.at_level(logging.WARNING, logger="waitress.queue"):
            for _ in range(500):
                dispatcher.add_task(object())  # waitress warns on each one
            clock.now += 59
            dispatcher.add_task(object())
            clock.now += 1
            dispatcher.add_task(object())
    finally:
        queue_log.removeFilter(summary)
    lines = [r.getMessage() for r in caplog.records if r.name == "waitress.queue"]
    assert len(lines) == 2
    assert lines[0].startswith("1 yêu cầu đang chờ luồng xử lý (sâu nhất 1, 1 lần")
    assert lines[1].startswith("502 yêu cầu đang chờ luồng xử lý (sâu nhất 502, 501 lần")
    assert "web.threads" in lines[1]
