"""The search page: what officers type finds what citizens wrote."""

from __future__ import annotations

from collections.abc import Callable

from tests.review.personas import Visitor, World, add_item

SignIn = Callable[[str], Visitor]


def test_the_search_page_finds_words_typed_without_diacritics_and_item_numbers(
    world: World, signed_in: SignIn
) -> None:
    flooded = add_item(world.sessions, world.now(), "Đường liên thôn ngập sâu sau mưa")
    add_item(world.sessions, world.now(), "Mất sóng 4G ở thôn Lương Xá")
    officer = signed_in("officer.a")
    page = officer.text("/search?text=DUONG+NGAP")
    assert "ngập sâu" in page and "Lương Xá" not in page
    page = officer.text(f"/search?text=%23{flooded}")
    assert f'href="/items/{flooded}"' in page and "Lương Xá" not in page
