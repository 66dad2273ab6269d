"""The search form of a text, where what an officer types meets what a citizen wrote.

Vietnamese arrives every which way: with or without diacritics (phone keyboards without a
Telex input method), in capitals, with đ or d, in NFC or NFD (Facebook sends both), phone
numbers as "0912 345 678", "0912.345.678" or "0912345678". SQLite's lower() folds ASCII only
and neither database strips diacritics, so each item keeps its folded text and sender in
``items.search_text`` and a search folds its terms with the same function. Pure: no database.

Changing ``fold`` changes what is stored: add a migration that refills the column (as
storage/migrations/versions/0002_search_text.py does), or old items stop matching.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

# Between the item's text and its sender in items.search_text: fold() leaves nothing but
# words and spaces, so it is never inside either part and a LIKE pattern can tell "in the
# text" (before it) from "in the sender" (after it).
SEPARATOR: Final = "\x1f"
# After casefold: đ (from Đ too) and ð, the Icelandic eth that old input methods type for Đ.
_D: Final = str.maketrans({"đ": "d", "ð": "d"})
# Digit groups joined by one space, dot or dash, optionally after +84 (Vietnam's prefix).
_DIGIT_RUN: Final = re.compile(r"(\+84[ .\-]?)?([0-9]+(?:[ .\-][0-9]+)*)")
_PHONE_DIGITS: Final = 8  # 1900 1234 (hotlines) has 8; mobiles have 10
_NOT_WORD: Final = re.compile(r"\W")
_ITEM_NUMBER: Final = re.compile(r"^#0*(\d{1,9})$|^([1-9]\d{0,8})$")
# A number this long may be the tail of a phone number: it matches inside longer numbers.
NUMBER_PART: Final = re.compile(r"^[0-9]{4,}$")


def fold(text: str) -> str:
    """The words of ``text`` casefolded, without diacritics (đ becomes d) or punctuation, one
    space apart, phone numbers without separators: ``fold("ĐƯỜNG  Ngập, gọi 0912 345 678!")``
    is ``"duong ngap goi 0912345678"``. Idempotent."""
    # Unicode's canonical caseless match: NFD(casefold(NFD(x))); then drop the marks.
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFD", text).casefold())
    kept = "".join(_fold_char(c) for c in decomposed)
    folded = _join_phones(" ".join(unicodedata.normalize("NFC", kept.translate(_D)).split()))
    # Again once punctuation is gone: "12/34/56/78" is a number written in groups too.
    return _join_phones(" ".join(_NOT_WORD.sub(" ", folded).split()))


def _fold_char(char: str) -> str:
    category = unicodedata.category(char)
    if category == "Mn" or category in ("Cf", "Cs"):
        # Diacritics; invisible format characters (zero-width joiners, soft hyphens, BOM);
        # lone surrogates, which no database stores.
        return ""
    if category == "Cc":
        return " "
    return char


def _join_phones(text: str) -> str:
    while True:
        # Until nothing changes: "5 +84 912 345 678" becomes "5 0912345678", a new run.
        joined = _DIGIT_RUN.sub(_join_phone, text)
        if joined == text:
            return text
        text = joined


def _join_phone(match: re.Match[str]) -> str:
    prefix, body = match.group(1) or "", match.group(2)
    digits = re.sub(r"[ .\-]", "", body)
    if prefix and 9 <= len(digits) <= 10:
        return "0" + digits  # +84 912 345 678 is dialled 0912 345 678 at home
    if len(digits) >= _PHONE_DIGITS:
        return prefix + digits
    return match.group(0)


def search_text(text: str | None, author_name: str | None, author_phone: str | None) -> str:
    """What ``items.search_text`` holds: the folded text, SEPARATOR, the folded sender, each
    word between spaces so that ``LIKE '% ho %'`` finds the word "hố" and not "thôn"."""
    sender = " ".join(part for part in (author_name, author_phone) if part)
    return f" {fold(text or '')} {SEPARATOR} {fold(sender)} "


def search_terms(query: str) -> list[str]:
    """The words of a query, folded like the column, each once, in the order typed."""
    return list(dict.fromkeys(fold(query).split()))


def item_number(query: str) -> tuple[int, bool] | None:
    """``#123`` is item 123 and nothing else; a bare ``123`` may also be text: (id, only_id)."""
    match = _ITEM_NUMBER.match(query.strip())
    if match is None:
        return None
    if match.group(1) is not None:
        return int(match.group(1)), True
    return int(match.group(2)), False
