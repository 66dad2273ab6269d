"""A Messenger item in Chromium: the conversation as bubbles, the citizen's on the left and the
page's on the right, at 1366 px and at phone width (screenshots in tests/artifacts/)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browsers import ARTIFACTS
from tests.review.personas import World
from tests.review.test_browser_inbox import PHONE, WIDE, base_url, open_as
from tests.review.test_conversation_view import _with_page_replies

pytestmark = pytest.mark.browser
__all__ = ["base_url"]  # the live server fixture, shared with the inbox tests


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1366", "390"])
def test_a_messenger_item_shows_the_citizen_left_and_the_page_right_as_bubbles(
    world: World, base_url: str, browser: Any, viewport: dict[str, int]
) -> None:
    cases = _with_page_replies(world)
    page = open_as(browser, base_url, "leader.a", viewport)
    page.goto(f"/items/{cases.greeting}")
    citizen = page.locator("ol.chat li.bubble-citizen")
    mine = page.locator("ol.chat li.bubble-page")
    assert citizen.count() == 2 and mine.count() == 1
    chat = page.locator("ol.chat").bounding_box()
    left, right = citizen.first.bounding_box(), mine.first.bounding_box()
    assert chat is not None and left is not None and right is not None
    assert left["x"] - chat["x"] < 2  # against the left edge
    assert chat["x"] + chat["width"] - (right["x"] + right["width"]) < 2  # against the right
    assert right["width"] < chat["width"] and left["width"] < chat["width"]
    assert page.locator("ol.chat li.current").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.locator("ol.chat").scroll_into_view_if_needed()
    name = f"conversation-messenger-{viewport['width']}.png"
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    page.context.close()
