"""A refused change on the item page says, in Vietnamese with the statuses' names, what to do."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from storage.tables import STATUSES
from tests.review.personas import Visitor, World, add_item, item

SignIn = Callable[[str], Visitor]
_FLASH = re.compile(r'<div class="flash flash-error"[^>]*>(.*?)</div>', re.S)
_CODES = re.compile(r"\b(" + "|".join(STATUSES) + r")\b")


def _errors(page: str) -> list[str]:
    return [html.unescape(m) for m in _FLASH.findall(page)]


def test_a_refused_status_change_names_the_statuses_and_the_valid_steps_never_their_codes(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Mất sóng 4G ở thôn 3")
    officer = signed_in("officer.a")
    officer.post(f"/items/{item_id}/status", {"status": "acknowledged"})
    refused = officer.post(f"/items/{item_id}/status", {"status": "closed"}, follow_redirects=True)

    assert item(world.sessions, item_id).status == "acknowledged"
    (message,) = _errors(refused.get_data(as_text=True))
    assert "“Đã tiếp nhận”" in message and "“Đã đóng”" in message
    assert "“Đang phân loại”" in message  # a valid next step, by its name
    assert "tải lại trang" in message  # how to go on
    assert _CODES.search(message) is None, message


def test_marking_a_closed_item_a_duplicate_says_to_reopen_it_by_the_status_name(
    world: World, signed_in: SignIn
) -> None:
    first = add_item(world.sessions, world.now(), "Đèn đường ngõ 5 tắt")
    second = add_item(world.sessions, world.now(), "Ngõ 5 tối om")
    officer = signed_in("officer.a")
    officer.post(f"/items/{second}/status", {"status": "not_actionable"})
    assert item(world.sessions, second).status == "not_actionable"
    refused = officer.post(
        f"/items/{second}/duplicate", {"original_id": str(first)}, follow_redirects=True
    )

    (message,) = _errors(refused.get_data(as_text=True))
    assert "“Mở lại”" in message and "“Không xử lý”" in message
    assert _CODES.search(message) is None, message
