"""A newcomer's first ten minutes: the README's demo command on a clean clone, then a browser.

Clones the committed repository, runs the README's install-and-demo command verbatim (with a
port and a time bound appended), logs in through headless Chromium, waits for items to arrive
in the queue and checks that an urgent one is flagged; then Ctrl-C must stop everything cleanly.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browsers import ARTIFACTS, require_chromium
from tests.test_docs import readme_commands

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.browser]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def clean_clone(tmp_path: Path) -> Path:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing to clone")
    target = tmp_path / "pakn"
    subprocess.run(
        ["git", "clone", "--quiet", "--depth", "1", f"file://{ROOT}", str(target)], check=True
    )
    return target


@pytest.fixture
def demo(clean_clone: Path, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    require_chromium()
    port = free_port()
    command, _tests = readme_commands()
    command += f" --port {port} --duration 600 --every 1 --dir {tmp_path / 'demo-data'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAKN_", "VIRTUAL_ENV"))}
    env["HOME"] = str(tmp_path)  # a newcomer's empty home: no model, no config yet
    proc = subprocess.Popen(
        ["bash", "-c", command],
        cwd=clean_clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    yield proc, port
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    shutil.rmtree(clean_clone / ".venv", ignore_errors=True)


def read_until(proc: subprocess.Popen[str], marker: str) -> list[str]:
    assert proc.stdout is not None
    lines: list[str] = []
    for line in proc.stdout:
        lines.append(line)
        if marker in line:
            return lines
    raise AssertionError(f"the demo ended before printing {marker!r}:\n{''.join(lines[-40:])}")


def test_the_readme_demo_command_shows_items_arriving_with_an_urgent_one_flagged(
    demo: tuple[subprocess.Popen[str], int], browser: Any
) -> None:
    from playwright.sync_api import expect

    proc, port = demo
    banner = "".join(read_until(proc, "Ctrl-C"))
    assert f"http://127.0.0.1:{port}" in banner
    assert "canbo.camgiang" in banner
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(f"http://127.0.0.1:{port}/login")
        page.fill("input[name=username]", "canbo.camgiang")
        page.fill("input[name=password]", "camgiang-2026")
        page.click("button[type=submit]")
        # The demo prints each notification it receives: an urgent alert means the daemon has
        # stored and classified the first items.
        read_until(proc, "[KHẨN]")
        page.goto(f"http://127.0.0.1:{port}/queue/triage")
        items = page.locator("a[href^='/items/']")
        expect(page.get_by_text("KHẨN", exact=True).first).to_be_visible()
        assert items.count() >= 3
        page.screenshot(path=str(ARTIFACTS / "newcomer-queue.png"))
    finally:
        page.close()
    os.killpg(proc.pid, signal.SIGINT)
    rest, _ = proc.communicate(timeout=120)
    assert "Đã dừng." in rest
    assert proc.returncode == 0
