"""The queue's pages: "← Trang trước", "Trang k / n", how many items the list and each tab hold,
the filters kept in every link, and the live poll's counts matching the page's (both databases)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from review.app import create_app
from storage.tables import Item
from tests.review.personas import Visitor, World, add_item, make_policy, make_settings, populate

SignIn = Callable[[str], Visitor]


@pytest.fixture
def world(sessions: sessionmaker[Session], tmp_path: Path, clock: Callable[[], datetime]) -> World:
    """The review world on each database (``sessions`` follows ``db_url``)."""
    people = populate(sessions, clock())
    app = create_app(
        make_settings(str(tmp_path)), sessions, policy=make_policy(), clock=clock, testing=True
    )
    return World(app, sessions, people, clock)


@pytest.fixture
def signed_in(world: World) -> SignIn:
    def sign_in(username: str) -> Visitor:
        visitor = Visitor(world.app)
        assert visitor.login(username).status_code == 302
        return visitor

    return sign_in


@pytest.fixture(autouse=True)
def twenty_a_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("review.queue_views.QUEUE_PAGE", 20)


def rows(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li class="row[^"]*" data-id="(\d+)"', page)]


def link(page: str, rel: str) -> str | None:
    found = re.search(rf'rel="{rel}" href="([^"]+)"', page)
    return html.unescape(found.group(1)) if found else None


def pager_text(page: str) -> str:
    nav = page.split('<nav class="pager"', 1)[1].split("</nav>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", nav.split(">", 1)[1]).split())


def tab_count(page: str, view: str) -> str:
    found = re.search(rf'data-count-of="{view}">([^<]*)<', page)
    assert found is not None, view
    return found.group(1)


def fill(world: World) -> list[int]:
    """45 comments and 4 messages in unit A, 2 comments in unit B."""
    comments = [add_item(world.sessions, world.now(), f"Đường hỏng số {i}") for i in range(45)]
    for i in range(4):
        add_item(world.sessions, world.now(), f"Tin nhắn {i}", source="facebook_message")
    for i in range(2):
        add_item(world.sessions, world.now(), f"Phường B {i}", unit="b")
    return comments


def test_page_three_of_a_filtered_list_shows_the_rest_and_links_back_with_its_filters(
    world: World, signed_in: SignIn
) -> None:
    comments = fill(world)
    officer = signed_in("officer.a")
    first = officer.text("/queue/all?source=facebook_comment")
    assert len(rows(first)) == 20
    assert pager_text(first) == "Trang 1 / 3 · 45 mục Trang sau →"
    assert link(first, "prev") is None
    second = officer.text(link(first, "next") or "")
    assert pager_text(second).startswith("← Trang trước Trang 2 / 3 · 45 mục")
    third_url = link(second, "next") or ""
    assert "source=facebook_comment" in third_url and "page_no=3" in third_url
    third = officer.text(third_url)
    assert len(rows(third)) == 5
    assert pager_text(third) == "← Trang trước Trang 3 / 3 · 45 mục"
    assert link(third, "next") is None
    back = link(third, "prev") or ""
    assert "source=facebook_comment" in back and "page_no=2" in back
    assert rows(officer.text(back)) == rows(second)
    to_first = link(second, "prev") or ""
    assert "source=facebook_comment" in to_first and "cursor" not in to_first
    assert rows(officer.text(to_first)) == rows(first)
    assert sorted(rows(first) + rows(second) + rows(third)) == sorted(comments)
    partial = officer.text(third_url + "&partial=1")
    assert pager_text(partial) == "← Trang trước Trang 3 / 3 · 45 mục"


def test_each_tab_counts_its_items_and_the_live_poll_says_the_same(
    world: World, signed_in: SignIn
) -> None:
    comments = fill(world)
    with world.sessions.begin() as session:
        for item_id in comments[:3]:
            found = session.get(Item, item_id)
            assert found is not None
            found.status, found.closed_at = "closed", world.now()
        for item_id in comments[3:5]:
            found = session.get(Item, item_id)
            assert found is not None
            found.assignee_id, found.status = world.people.officer_a, "in_progress"
    officer = signed_in("officer.a")
    page = officer.text("/queue/all")
    shown = {v: tab_count(page, v) for v in ("triage", "mine", "overdue", "small_talk", "all")}
    assert shown == {"triage": "44", "mine": "2", "overdue": "0", "small_talk": "0", "all": "49"}
    assert pager_text(page).startswith("Trang 1 / 3 · 49 mục")
    assert "Trang 1 / 1 · 2 mục" in pager_text(officer.text("/queue/mine"))
    live = officer.get("/live/changes").get_json()
    assert live["counts"]["all"] == 49 and live["counts"]["triage"] == 44
    assert {v: live["count_texts"][v] for v in shown} == shown


def test_the_all_tab_says_more_than_the_cap_instead_of_counting_everything(
    world: World, signed_in: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(world)
    monkeypatch.setattr("storage.queue_search.ALL_COUNT_CAP", 40)
    officer = signed_in("officer.a")
    page = officer.text("/queue/all")
    assert tab_count(page, "all") == "hơn 40"
    assert pager_text(page) == "Trang 1 · hơn 40 mục Trang sau →"
    assert officer.get("/live/changes").get_json()["count_texts"]["all"] == "hơn 40"
    # The work views are open items, counted exactly.
    assert tab_count(page, "triage") == "49"
