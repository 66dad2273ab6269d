"""The demo in a browser: a citizen's comment reaches the open queue through the webhook,
without a reload, within 10 seconds.

The demo runs in-process (the daemon, the web, the webhook receiver and the simulator with its
signing sender). Its daemon polls every 10 minutes here instead of every 5 seconds: the first
cycle reads the pages, and after that only a webhook can bring the comment within 10 seconds,
so the test fails when webhooks do not work.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli.demo_world import DEMO_PAGES, Demo
from tests.browsers import ARTIFACTS

pytestmark = [pytest.mark.slow, pytest.mark.browser]
CAM = DEMO_PAGES[0][0]
COMMENT = "Cống thoát nước ngõ 7 thôn Lương Xá bị tắc ba hôm nay, nước tràn vào nhà dân"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def demo(tmp_path: Path, trained_models: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Demo]:
    monkeypatch.setenv("PAKN_MODELS_DIR", str(trained_models))
    # No random traffic (one event an hour), and one poll cycle: at start.
    runner = Demo(tmp_path / "demo", free_port(), seed=2026, every_seconds=3600, poll_seconds=600)
    try:
        runner.start(lambda _text: None)
        yield runner
    finally:
        runner.close()


def first_cycle_done(demo: Demo, within: float = 120) -> None:
    deadline = time.monotonic() + within
    while demo.daemon is None or not demo.daemon.last_results:
        assert time.monotonic() < deadline, f"the demo's first poll took over {within} s"
        demo.stop.wait(0.2)


def test_a_new_comment_appears_in_the_open_demo_queue_within_10_seconds_without_a_reload(
    demo: Demo, browser: Any
) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.set_default_timeout(60_000)
        page.goto(f"http://127.0.0.1:{demo.port}/login")
        page.fill("input[name=username]", "canbo.camgiang")
        page.fill("input[name=password]", "camgiang-2026")
        page.click("button[type=submit]")
        page.wait_for_url("**/queue/triage")
        # The daemon's first cycle (at start) reads the pages and stores the opening items;
        # the webhook consumer runs on the same thread, after it.
        first_cycle_done(demo)
        expect(page.locator("ul.rows li").first).to_be_visible()
        assert page.get_attribute("#queue", "data-poll-seconds") == "2"
        page.evaluate("document.body.setAttribute('data-loaded-once', 'yes')")

        assert demo.world is not None
        post = demo.world.page_posts[CAM][-1]  # the newest post of the commune's page
        demo.world.add_comment(post, author=("912345678", "Đặng Thị Thu"), message=COMMENT)
        started = time.monotonic()
        expect(page.locator("ul.rows li", has_text=COMMENT[:40])).to_have_count(1, timeout=10_000)
        took = time.monotonic() - started
        assert page.get_attribute("body", "data-loaded-once") == "yes"  # never reloaded
        page.screenshot(path=str(ARTIFACTS / "demo-live-queue.png"))
    finally:
        page.close()
    print(f"the comment reached the open queue in {took:.1f} s")
