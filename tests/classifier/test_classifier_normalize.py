"""Normalisation of Vietnamese social text: units and properties."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.normalize import (
    NUMBER_MARK,
    PHONE_MARK,
    TEENCODE,
    URL_MARK,
    normalize,
    normalize_stripped,
    normalize_token,
    squeeze_letters,
    strip_diacritics,
)
from classifier.syllable import place_tone_mark

VIETNAMESE_LOWER = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
VIETNAMESE_LETTERS = VIETNAMESE_LOWER + VIETNAMESE_LOWER.upper()


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("hoà", "hòa"),
        ("thuỷ", "thủy"),
        ("khoẻ", "khỏe"),
        ("qúy", "quý"),
        ("lựơng", "lượng"),
        ("nghịêm", "nghiệm"),
        ("baỏ", "bảo"),
        ("khuỷu", "khuỷu"),
        ("giường", "giường"),
        ("hoàng", "hoàng"),
        ("gì", "gì"),
    ],
)
def test_tone_mark_moves_to_the_old_style_position(written: str, canonical: str) -> None:
    assert place_tone_mark(written) == canonical


def test_tokens_that_are_not_vietnamese_syllables_keep_their_marks() -> None:
    assert place_tone_mark("café") == "café"
    assert place_tone_mark("wifi") == "wifi"


def test_decomposed_and_legacy_characters_become_the_same_text() -> None:
    decomposed = unicodedata.normalize("NFD", "Đường hòa bình")
    assert normalize(decomposed) == normalize("Đường hoà bình") == "đường hòa bình"
    assert normalize("\u00d0ảm baỏ chất lựơng") == "đảm bảo chất lượng"


def test_letter_runs_of_three_or_more_are_squeezed() -> None:
    assert squeeze_letters("quáaaa") == "quá"
    assert squeeze_letters("đẹppppp") == "đẹp"
    assert squeeze_letters("xoong") == "xoong"  # a real double letter stays


def test_the_citizen_id_card_abbreviation_is_not_squeezed() -> None:
    # "CCCD" (căn cước công dân) is asked about daily; squeezed it became "cd".
    assert normalize("làm CCCD ở đâu").split() == ["làm", "cccd", "ở", "đâu"]
    assert normalize("cccd gắn chip") == normalize("CCCD gắn chip")
    assert normalize("ngập quáaaa!!!!") == "ngập quá ! ! ! !"


def test_urls_phone_numbers_and_numbers_become_placeholders() -> None:
    text = normalize("Xem https://dichvucong.gov.vn/p?id=3 hoặc gọi 0912 345 678, phí 50k, ngõ 12")
    assert text == f"xem {URL_MARK} hoặc gọi {PHONE_MARK} , phí {NUMBER_MARK} , ngõ {NUMBER_MARK}"


def test_mobile_generation_names_are_not_masked_as_numbers() -> None:
    assert normalize("mất sóng 4G") == "mất sóng 4g"


def test_emoji_become_separate_tokens() -> None:
    assert normalize("hay quá😍😍") == "hay quá 😍 😍"


def test_unambiguous_teencode_is_expanded() -> None:
    assert normalize("ko dc j vs mn ad ơi, ib e nhé") == (
        "không được gì với mọi người admin ơi , nhắn tin em nhé"
    )


def test_k_after_a_number_is_a_price_not_no() -> None:
    assert normalize("50k") == NUMBER_MARK
    assert normalize("giá 50 k thôi") == f"giá {NUMBER_MARK} thôi"
    assert normalize("k có ai") == "không có ai"


def test_laughter_is_not_read_as_teencode() -> None:
    assert normalize("kkkk") == normalize("hihi") == "haha"


def test_teencode_expansions_are_already_normalised() -> None:
    for short, expansion in TEENCODE.items():
        assert short not in expansion.split()
        assert normalize(expansion) == expansion


def test_strip_diacritics_maps_d_with_stroke_to_d() -> None:
    assert strip_diacritics("Đường đi") == "Duong di"
    assert normalize_stripped("Dây điện ĐỨT") == "day dien dut"


@settings(database=None)
@given(st.text(alphabet=VIETNAMESE_LETTERS, max_size=50))
def test_strip_diacritics_gives_ascii_letters_for_vietnamese_letters(text: str) -> None:
    stripped = strip_diacritics(text)
    assert stripped.isascii()
    assert len(stripped) == len(text)


social_text = st.lists(
    st.sampled_from(
        [
            *(VIETNAMESE_LETTERS + "0123456789 .,!?@:/-+_\n\t😍😡👍\u0301\u0309\u00d0\u200d\ufe0f"),
            *["ko ", "k ", "50k", "http://a.vn/x ", "0912345678", "hoà ", "kkk", "www."],
        ]
    ),
    max_size=60,
).map("".join)
any_text = st.text(alphabet=st.characters(exclude_categories=()), max_size=200)


@settings(max_examples=300, database=None)
@given(st.one_of(social_text, any_text))
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=300, database=None)
@given(any_text)
def test_normalize_never_raises_and_returns_single_spaced_text(text: str) -> None:
    result = normalize(text)
    assert result == " ".join(result.split())
    assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in result)


@settings(database=None)
@given(st.text(max_size=30).filter(lambda token: token and not any(c.isspace() for c in token)))
def test_normalize_token_is_stable_on_its_own_output(token: str) -> None:
    for word in normalize_token(token).split():
        assert normalize_token(word) == word


def test_huge_input_is_normalised_without_error() -> None:
    text = ("Đường ngập quáaaa 😡 ko đi đc 0912345678 " * 20_000) + "a" * 100_000
    result = normalize(text)
    assert result.startswith("đường ngập quá 😡 không đi được _phone_")
    assert result.endswith(" a")
