"""Normalisation of Vietnamese social-media text, and its accent-stripped view.

`normalize` is idempotent and never raises. Text-wide steps run as C-level regexes and
`str` methods; the per-word steps (letter squeezing, tone-mark placement, teencode) are cached
per token, because social texts reuse a few thousand syllables over and over.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from classifier.syllable import place_tone_mark

# Placeholders that replace masked spans; plain word tokens for every feature view.
URL_MARK: Final = "_url_"
EMAIL_MARK: Final = "_email_"
PHONE_MARK: Final = "_phone_"
NUMBER_MARK: Final = "_num_"
LAUGH_MARK: Final = "haha"

# Only standalone tokens whose meaning is unambiguous in citizen feedback. Left out on purpose:
# "mk" (mật khẩu), "tk" (tài khoản), "hem" (hẻm), "hong" (hỏng), "dt" (diện tích), "dk" (đăng ký),
# and the one-letter "a", "b", "c", "m", "t", "v" (several readings each).
TEENCODE: Final[dict[str, str]] = {
    "ko": "không",
    "k": "không",
    "kh": "không",
    "khg": "không",
    "kg": "không",
    "hok": "không",
    "khum": "không",
    "dc": "được",
    "đc": "được",
    "j": "gì",
    "ji": "gì",
    "vs": "với",
    "mn": "mọi người",
    "mng": "mọi người",
    "ad": "admin",
    "ib": "nhắn tin",
    "inbox": "nhắn tin",
    "r": "rồi",
    "ns": "nói",
    "bh": "bao giờ",
    "ntn": "như thế nào",
    "e": "em",
    "sdt": "số điện thoại",
    "sđt": "số điện thoại",
    "trl": "trả lời",
    "ngta": "người ta",
    "cx": "cũng",
    "cũg": "cũng",
    "thui": "thôi",
    "wá": "quá",
    "qá": "quá",
    "mik": "mình",
    "lm": "làm",
    "bít": "biết",
    "hum": "hôm",
    "nhìu": "nhiều",
    "trc": "trước",
    "ms": "mới",
    "tks": "cảm ơn",
    "thks": "cảm ơn",
    "đag": "đang",
    "dag": "đang",
    "bnh": "bao nhiêu",
    "zậy": "vậy",
    "dzậy": "vậy",
}

# Invisible and control characters, lone surrogates: replaced by a space before anything else.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e"
    "\u2060-\u206f\ufe00-\ufe0f\ufeff\ud800-\udfff\U000e0000-\U000e007f]"
)
# Combining marks count as word characters: "0k\u0309" is one word, not the price "0k".
_WORD = r"[\w\u0300-\u036f]"
_URL = re.compile(r"(?:https?://|www\.)\S+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Vietnamese phone numbers: 0 or +84 then 8-10 digits, optionally grouped by space, dot, dash.
_PHONE = re.compile(rf"(?<!{_WORD})(?:\+?84|0)(?:[ .\-]?\d){{8,10}}(?!{_WORD})")
# Numbers with an optional money/time/size unit: "50k" is a price, never the teencode "k".
_NUMBER = re.compile(
    rf"(?<!{_WORD})\d+(?:[.,]\d+)*(?: ?(?:k|tr|triệu|đ|vnđ|vnd|h|p|km|kg|m|ha|%))?(?!{_WORD})"
)
_DIGIT = re.compile(r"\d")
_NUMBER_WORD = re.compile(r"\d+(?:k|tr|triệu|đ|vnđ|vnd|h|p|km|kg|m|ha)?")
_TOKEN = re.compile(r"[\w\u0300-\u036f]+|\S")
# Abbreviations whose letter runs are real: "CCCD" (căn cước công dân) is not an elongated "cd".
_KEEP_RUNS: Final = frozenset({"cccd"})
_LAUGH = re.compile(r"k{2,}|(?:h[aeiư]){2,}h?")
_LETTER_RUN = re.compile(r"([^\W\d_])\1{2,}")


def normalize(text: str) -> str:
    """Canonical form of a text: the input of every feature view."""
    if not text.isprintable():  # C-speed check; the regex runs only for the rare texts with them
        text = _INVISIBLE.sub(" ", text)
    text = text.replace("\u00d0", "Đ").replace("\u00f0", "đ")
    text = unicodedata.normalize("NFC", text.lower())
    text = _mask(text)
    # Tokens never span whitespace (\w and \S exclude it), so each whitespace-separated chunk
    # ("ơi,", "mn") is tokenised and normalised once and then looked up: one dict lookup per
    # chunk instead of a regex scan and one lookup per token.
    chunks = text.split()
    out = list(map(_CHUNK_CACHE.get, chunks))
    if None in out:
        if len(_CHUNK_CACHE) > _CACHE_LIMIT:
            _CHUNK_CACHE.clear()  # bounded memory in a long-running daemon
        for i, chunk in enumerate(chunks):
            if out[i] is None:
                out[i] = _CHUNK_CACHE[chunk] = " ".join(_normalize_tokens(_TOKEN.findall(chunk)))
    return " ".join(out)  # type: ignore[arg-type]  # no None left


_CHUNK_CACHE: dict[str, str] = {}
_TOKEN_CACHE: dict[str, str] = {}
_STRIP_CACHE: dict[str, str] = {}
_CACHE_LIMIT: Final = 1 << 18


def _normalize_tokens(tokens: list[str]) -> list[str]:
    # A plain dict lookup per token (lru_cache costs several times more per call).
    out = list(map(_TOKEN_CACHE.get, tokens))
    if None in out:
        if len(_TOKEN_CACHE) > _CACHE_LIMIT:
            _TOKEN_CACHE.clear()  # bounded memory in a long-running daemon
        for i, token in enumerate(tokens):
            if out[i] is None:
                out[i] = _TOKEN_CACHE[token] = normalize_token(token)
    return out  # type: ignore[return-value]  # no None left


def _mask(text: str) -> str:
    # Cheap substring checks skip the regexes for the many texts without URLs or digits.
    if "http" in text or "www." in text:
        text = _URL.sub(f" {URL_MARK} ", text)
    if "@" in text:
        text = _EMAIL.sub(f" {EMAIL_MARK} ", text)
    if _DIGIT.search(text):
        text = _PHONE.sub(f" {PHONE_MARK} ", text)
        text = _NUMBER.sub(f" {NUMBER_MARK} ", text)
    return text


def normalize_token(token: str) -> str:
    """Per-token steps: squeeze letter runs, old-style tone mark, teencode (may give 2 words)."""
    if _LAUGH.fullmatch(token):
        return LAUGH_MARK  # before squeezing: "kkkk" is laughter, "k" would be "không"
    if token in _KEEP_RUNS:
        return token
    squeezed = squeeze_letters(token)
    if squeezed != token:
        if _LAUGH.fullmatch(squeezed):
            return LAUGH_MARK
        if _NUMBER_WORD.fullmatch(squeezed):
            return NUMBER_MARK  # "50kkk" is "50k": the masking above could not see it
    fixed = place_tone_mark(squeezed)
    return TEENCODE.get(fixed, fixed)


def squeeze_letters(text: str) -> str:
    """Collapse runs of 3 or more of the same base letter ("quáaaa" → "quá", "hhhh" → "h")."""
    bases = strip_diacritics(text)
    if len(bases) != len(text):
        # Stray combining marks shift positions: squeeze identical characters only.
        return _LETTER_RUN.sub(r"\1", text)
    pieces: list[str] = []
    last = 0
    for run in _LETTER_RUN.finditer(bases):
        start, end = run.span()
        group = text[start:end]
        # Keep the accented copy when there is one: "áaaa" is an emphatic "á".
        marked = [ch for ch in group if ch != bases[start]]
        pieces += [text[last:start], marked[0] if marked else group[0]]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def _build_strip_table() -> dict[int, int | None]:
    table: dict[int, int | None] = {cp: None for cp in range(0x0300, 0x0370)}
    for cp in list(range(0x00C0, 0x0250)) + list(range(0x1E00, 0x1F00)):
        base = unicodedata.normalize("NFD", chr(cp))[0]
        if base.isascii() and base.isalpha() and base != chr(cp):
            table[cp] = ord(base)
    table[ord("đ")] = ord("d")
    table[ord("Đ")] = ord("D")
    table[0x00D0] = ord("D")  # legacy look-alike of Đ
    return table


_STRIP_TABLE: Final = _build_strip_table()


def strip_diacritics(text: str) -> str:
    """Remove accents and tone marks ("Đường" → "Duong"); length-preserving on NFC input."""
    return text.translate(_STRIP_TABLE)


def strip_tokens(tokens: list[str]) -> list[str]:
    """strip_diacritics of each token, cached: a few thousand syllables cover most texts."""
    out = list(map(_STRIP_CACHE.get, tokens))
    if None in out:
        if len(_STRIP_CACHE) > _CACHE_LIMIT:
            _STRIP_CACHE.clear()
        for i, token in enumerate(tokens):
            if out[i] is None:
                out[i] = _STRIP_CACHE[token] = strip_diacritics(token)
    return out  # type: ignore[return-value]  # no None left


def normalize_stripped(text: str) -> str:
    """Accent-stripped normalised text, the view that matches unaccented typing."""
    return strip_diacritics(normalize(text))
