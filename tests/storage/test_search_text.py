"""The search fold: properties over any text, and the spellings officers really type."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.search_text import (
    SEPARATOR,
    fold,
    item_number,
    search_terms,
    search_text,
)

# Each Vietnamese letter and the letter it is typed as without diacritics, written out by hand
# so that the test does not share the code's way of stripping marks.
BASES = {
    "a": "aàáảãạăằắẳẵặâầấẩẫậ",
    "d": "dđ",
    "e": "eèéẻẽẹêềếểễệ",
    "i": "iìíỉĩị",
    "o": "oòóỏõọôồốổỗộơờớởỡợ",
    "u": "uùúủũụưừứửữự",
    "y": "yỳýỷỹỵ",
}
PLAIN = {letter: base for base, letters in BASES.items() for letter in letters}
VIETNAMESE_LOWER = "".join(BASES.values()) + "bcghklmnpqrstvx"
VIETNAMESE = VIETNAMESE_LOWER + VIETNAMESE_LOWER.upper()
vietnamese_text = st.text(alphabet=VIETNAMESE + "0123456789 .,-!?\t\n", max_size=60)


def without_diacritics(text: str) -> str:
    return "".join(PLAIN.get(c.lower(), c.lower()) if c.isalpha() else c for c in text)


@given(st.text())
def test_folding_twice_changes_nothing(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(vietnamese_text)
def test_folding_ignores_case(text: str) -> None:
    assert fold(text.upper()) == fold(text.lower()) == fold(text)


@given(vietnamese_text)
def test_folding_ignores_diacritics(text: str) -> None:
    assert fold(text) == fold(without_diacritics(text))


@given(st.text())
def test_composed_and_decomposed_text_fold_alike(text: str) -> None:
    assert fold(unicodedata.normalize("NFD", text)) == fold(unicodedata.normalize("NFC", text))


@given(st.text())
def test_a_folded_text_is_words_one_space_apart_and_never_holds_the_separator(
    text: str,
) -> None:
    folded = fold(text)
    assert folded == " ".join(folded.split())
    assert all(word.isalnum() or "_" in word for word in folded.split())
    assert SEPARATOR not in folded


@given(st.text(), st.text(), st.text())
def test_every_word_of_the_text_and_sender_is_stored_between_spaces_on_its_side(
    text: str, name: str, phone: str
) -> None:
    stored = search_text(text, name, phone)
    assert stored.count(SEPARATOR) == 1
    text_part, sender_part = stored.split(SEPARATOR)
    assert all(f" {word} " in text_part for word in search_terms(text))
    assert all(f" {word} " in sender_part for word in search_terms(f"{name} {phone}"))


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("ĐƯỜNG NGẬP", "duong ngap"),
        ("Hố ga", "ho ga"),
        ("HỐ  GA\u00a0mất nắp", "ho ga mat nap"),
        ("\u00d0ường làng", "duong lang"),  # Ð (eth) typed for Đ by old input methods
        (unicodedata.normalize("NFD", "Khoẻ mạnh"), "khoe manh"),
        ("gọi 0912 345 678 nhé!", "goi 0912345678 nhe"),
        ("(0912 345 678)", "0912345678"),
        ("0912.345.678", "0912345678"),
        ("0912-345-678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("tổng đài 1900 1234", "tong dai 19001234"),
        ("thôn 3 mất sóng 4G", "thon 3 mat song 4g"),
        ("100.000 đồng", "100 000 dong"),
        ("Hà Nội, 12/03/2026", "ha noi 12032026"),
    ],
)
def test_the_spellings_officers_type_fold_to_one_form(typed: str, folded: str) -> None:
    assert fold(typed) == folded


def test_search_terms_drop_the_punctuation_around_words_and_repeats() -> None:
    assert search_terms("Hố ga, NGẬP!! ngập") == ["ho", "ga", "ngap"]
    assert search_terms("100%") == ["100"]
    assert search_terms("  ... ") == []


def test_a_hash_number_is_an_item_and_a_bare_number_may_be_one() -> None:
    assert item_number("#19") == (19, True)
    assert item_number(" 19 ") == (19, False)
    assert item_number("0912345678") is None
    assert item_number("#19 ngập") is None
