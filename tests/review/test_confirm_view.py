"""The "cần xác nhận" view: the least sure items first, for officers to confirm or correct."""

from __future__ import annotations

from collections.abc import Callable

from tests.review.personas import Visitor, World, add_item

SignIn = Callable[[str], Visitor]


def test_the_confirm_view_lists_the_least_sure_items_before_the_sure_ones(
    world: World, signed_in: SignIn
) -> None:
    unsure = add_item(world.sessions, world.clock(), "cho em hỏi thủ tục này thế nào")
    sure = add_item(world.sessions, world.clock(), "đèn đường ngõ 5 hỏng cả tuần")
    page = signed_in("officer.a").text("/can-xac-nhan")
    assert "Cần xác nhận" in page
    assert f"#{unsure}" in page
    if f"#{sure}" in page:  # the random share may show it, never before the unsure one
        assert page.index(f"#{unsure}") < page.index(f"#{sure}")


def test_the_confirm_view_shows_only_the_officer_s_units(world: World, signed_in: SignIn) -> None:
    other = add_item(world.sessions, world.clock(), "cho em hỏi giờ làm việc", unit="b")
    page = signed_in("officer.a").text("/can-xac-nhan")
    assert f"#{other}" not in page
