"""Answers with proof, end to end in Chromium: a citizen's comment comes in through the Graph
simulator, an officer answers it with a photo and publishes the answer, the daemon's reply
sender posts the comment with the photo once, the citizen sees the answer and the photo on the
status page and rates it, and the leader's scorecard counts it.

Screenshots go to tests/artifacts/ at 1366 px and 390×844. Nothing sleeps: each step waits on
what the page shows.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select
from werkzeug.serving import make_server

from monitor.daemon import Daemon
from monitor.replies import ReplySender
from simulator import GraphSimulator
from simulator import World as Graph
from storage.tables import Item, ReplyAttachment
from storage.tracking import code_of
from tests.browsers import ARTIFACTS
from tests.monitor.harness import make_daemon, settings_for, started, world_with_pages
from tests.proof_files import png
from tests.review.personas import PASSWORD, World

pytestmark = pytest.mark.browser
WIDE = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
PAGE = ("100000000000001", "UBND Xã A", "a", "tok-xa-a")
CITIZEN = ("8001", "Lê Thị Thu")
ANSWER = "Chào chị, tổ công tác đã vá xong ổ gà ở thôn 3 sáng nay, gửi chị ảnh hiện trạng."


@pytest.fixture
def base_url(world: World) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, world.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def graph(world: World) -> Graph:
    return world_with_pages(pages=[PAGE], clock=world.clock)


@pytest.fixture
def sim(graph: Graph) -> Iterator[GraphSimulator]:
    server = started(graph)
    yield server
    server.stop()


@pytest.fixture
def daemon(world: World, sim: GraphSimulator, tmp_path: Path) -> Daemon:
    """The daemon on the web's database and data directory (where the web stores the files)."""
    settings = replace(settings_for(sim.base_url, "unused", pages=[PAGE]), data_dir=str(tmp_path))
    return make_daemon(settings, world.sessions, clock=world.clock)


def signed_in(browser: Any, base_url: str, username: str) -> Any:
    context = browser.new_context(viewport=WIDE, locale="vi-VN", base_url=base_url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/queue/triage")
    return page


def scorecard_figures(page: Any) -> dict[str, str]:
    page.goto("/reports/scorecard/")
    row = page.locator("tr[data-unit=a]")
    return {
        name: row.locator(f"td[data-figure={name}]").inner_text()
        for name in ("satisfaction", "published")
    }


def photo_loaded(page: Any) -> None:
    """Waits until the photo is drawn (the browser fetched and decoded it)."""
    page.wait_for_function(
        "() => { const i = document.querySelector('img.proof-photo');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )


def test_a_photo_answer_reaches_the_comment_once_and_the_citizen_sees_and_rates_it(
    world: World, daemon: Daemon, graph: Graph, base_url: str, browser: Any, tmp_path: Path
) -> None:
    post = graph.add_post(PAGE[0], message="Thông báo lịch sửa đường liên thôn")
    comment = graph.add_comment(post, author=CITIZEN, message="ổ gà ở thôn 3 bao giờ vá ạ?")
    daemon.poll_cycle()
    with world.sessions.begin() as session:
        item_id = session.scalars(select(Item.id).where(Item.external_id == comment)).one()

    leader = signed_in(browser, base_url, "leader.a")
    before = scorecard_figures(leader)

    office = signed_in(browser, base_url, "officer.a")
    office.goto(f"/items/{item_id}")
    assert "ổ gà ở thôn 3" in office.locator("main").inner_text()
    photo = png(48, 32, (30, 120, 200))
    picture = tmp_path / "o-ga-da-va.png"
    picture.write_bytes(photo)
    form = office.locator("#reply")
    form.locator("input[name=kind][value=public_comment]").check()
    form.locator("textarea[name=text]").fill(ANSWER)
    form.locator("input[name=files]").set_input_files(str(picture))
    form.get_by_role("button", name="Gửi trả lời").click()
    office.locator(".flash-ok").wait_for()
    replies = office.locator("ul.replies")
    assert "Đang chờ gửi" in replies.inner_text() and "o-ga-da-va.png" in replies.inner_text()
    office.check("#cong-khai input[name=reply_id]")
    office.click("#cong-khai form[action$='/publish'] button")
    assert "Đã công khai kết quả" in office.locator(".flash-ok").inner_text()

    # The daemon's reply job (monitor/facebook.py) against the simulator; a second round
    # finds nothing left to send.
    replies_job = ReplySender(daemon.settings, daemon.sessions, daemon.client, daemon.clock, "d")
    assert replies_job.send_due() == 1
    assert replies_job.send_due() == 0
    comments = [e for e in graph.sent_by_page(PAGE[0]) if e["kind"] == "comment"]
    assert len(comments) == 1
    (sent,) = comments
    assert sent["target"] == comment and sent["message"].startswith(ANSWER)
    assert sent["attachment"]["field"] == "source"
    assert sent["attachment"]["sha256"] == hashlib.sha256(photo).hexdigest()
    on_facebook = requests.get(
        f"{daemon.settings.graph.base_url}/{daemon.settings.graph.version}/{comment}/comments",
        params={"access_token": PAGE[3], "fields": "message,attachment"},
        timeout=10,
    ).json()["data"]
    assert len(on_facebook) == 1 and on_facebook[0]["message"].startswith(ANSWER)
    assert on_facebook[0].get("attachment"), on_facebook[0]
    with world.sessions.begin() as session:
        (row,) = session.scalars(select(ReplyAttachment)).all()
        assert (row.status, row.graph_id) == ("sent", sent["id"])
        code = code_of(session, item_id)
    assert code is not None

    citizen = browser.new_context(viewport=WIDE, locale="vi-VN", base_url=base_url)
    status = citizen.new_page()
    status.set_default_timeout(15_000)
    status.goto(f"/tra-cuu/{code}")
    assert "tổ công tác đã vá xong ổ gà" in status.locator("main").inner_text()
    photo_loaded(status)
    assert status.evaluate("document.querySelector('img.proof-photo').naturalWidth") == 48
    status.screenshot(path=str(ARTIFACTS / "reply-proof-status-1366.png"), full_page=True)
    status.set_viewport_size(PHONE)
    photo_loaded(status)
    assert status.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    status.screenshot(path=str(ARTIFACTS / "reply-proof-status-390.png"), full_page=True)
    status.check("input[name=satisfied][value=yes]")
    status.click("#danh-gia button[type=submit]")
    assert "Cảm ơn anh/chị" in status.locator(".flash-ok").inner_text()
    assert "đã đánh giá: hài lòng" in status.locator("p.rated").inner_text()
    citizen.close()

    after = scorecard_figures(leader)
    leader.set_viewport_size(WIDE)
    leader.screenshot(path=str(ARTIFACTS / "reply-proof-scorecard-1366.png"), full_page=True)
    assert int(after["published"]) == int(before["published"]) + 1
    assert before["satisfaction"] != after["satisfaction"]
    assert "(1/1" in after["satisfaction"] and "(0/0" in before["satisfaction"]
    office.context.close()
    leader.context.close()
