"""Masking citizens' texts, and finding a denouncer's name or number in a reply.

Phone numbers and e-mail addresses are masked in every excerpt that leaves the web (alerts,
reports). For a shielded sender (storage.visibility) the text also loses what identifies them:
the name after "tôi là…", "em là…", "họ tên:…", the names given (profile name, id), ID card
numbers (CMND 9 digits, CCCD 12) and house-number addresses (Luật Tố cáo Điều 8 khoản 3).

Names are compared folded: NFC, lower case, without diacritics, any run of spaces or
punctuation between words, because that is how the same name arrives from different keyboards
(Vietnamese keyboards often send NFD) or is retyped without accents.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MASKED_AUTHOR = "(ẩn danh: thông tin người tố cáo được bảo vệ)"
NAME_MASK = "[tên đã ẩn]"
PHONE_MASK = "[số điện thoại đã ẩn]"
ID_MASK = "[số giấy tờ đã ẩn]"
ADDRESS_MASK = "[địa chỉ đã ẩn]"
# Vietnamese numbers written the usual ways: 0912345678, 0912 345 678, 091.234.5678, +84 912...
_PHONE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.\-]?\d){8,10}(?!\d)")
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
# CMND (9 digits) and CCCD (12), written in one piece: "500.000.000" is money, not an ID.
_ID_NUMBER = re.compile(r"(?<![\d.,])(?:\d{12}|\d{9})(?![\d]|[.,]\d)")
_SPACES = re.compile(r"\s+")
_UPPER = "A-ZĐÀÁẢÃẠĂẮẰẲẴẶÂẤẦẨẪẬÈÉẺẼẸÊẾỀỂỄỆÌÍỈĨỊÒÓỎÕỌÔỐỒỔỖỘƠỚỜỞỠỢÙÚỦŨỤƯỨỪỬỮỰỲÝỶỸỴ"
_WHO = r"(?:tôi|toi|em|con|cháu|chau|mình|minh)"
# Accented or plain, never half of each: "còn là" (still is) must not read as "con là".
_INTRO = re.compile(
    rf"(?<!\w)(?:(?:tên|ten)\s+{_WHO}(?:\s+(?:là|la))?|{_WHO}\s+(?:tên|ten)(?:\s+(?:là|la))?"
    rf"|{_WHO}\s+(?:là|la)|(?:họ\s+và\s+tên|ho\s+va\s+ten|họ\s+tên|ho\s+ten)\s*:)(?!\w)[\s:]*",
    re.IGNORECASE,
)
_CAPITALISED_NAME = re.compile(rf"[{_UPPER}][^\W\d_]*(?:[ \t]+[{_UPPER}][^\W\d_]*){{0,4}}")
_ANY_NAME = re.compile(r"[^\W\d_]+(?:[ \t]+[^\W\d_]+){0,3}")
_HOUSE = r"\d+[a-zA-Z]?(?:/\d+[a-zA-Z]?)*"
_LANE = rf"(?i:ngõ|ngo|ngách|ngach|hẻm|hem|kiệt|kiet)\s+{_HOUSE}"
_STREET = rf"(?i:đường|duong|phố|pho)\s+(?:[{_UPPER}]\w*(?:\s+[{_UPPER}]\w*){{0,3}}|\d+\w*)"
_ADDRESS = re.compile(
    rf"(?<!\w)(?:(?i:số\s+nhà|so\s+nha|nhà\s+số|nha\s+so)\s*{_HOUSE}(?:[\s,]+{_LANE})*"
    rf"(?:[\s,]+{_STREET})?"
    rf"|(?:(?i:số|so|nhà|nha)\s*)?{_HOUSE}(?:(?:[\s,]+{_LANE})+(?:[\s,]+{_STREET})?"
    rf"|[\s,]+{_STREET})"
    rf"|{_LANE}(?:[\s,]+{_LANE})*(?:[\s,]+{_STREET})?)"
)


def _fold_table() -> dict[int, str]:
    table = {}
    for code in range(0x41, 0x2000):
        char = chr(code)
        base = unicodedata.normalize("NFD", char)[0]
        folded = "d" if base in "đĐ" else base.lower()
        if len(folded) == 1 and folded != char:
            table[code] = folded
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """NFC text without case or diacritics, one character for one: spans found in the folded
    text are the spans of the original."""
    return text.translate(_FOLD)


def _name_pattern(name: str, *, strict_single: bool = False) -> re.Pattern[str] | None:
    """Matches ``name`` in a folded text (or, with ``strict_single``, a one-word name in a
    lower-cased text: "Hùng" must not refuse a reply about "Hưng Yên")."""
    nfc = unicodedata.normalize("NFC", name)
    words = re.findall(r"[^\W_]+", fold(nfc))
    if len("".join(words)) < 3:
        return None  # "An" or an initial would blank out ordinary words
    if strict_single and len(words) == 1:
        words = [nfc.strip().lower()]
    return re.compile(r"(?<!\w)" + r"[\W_]+".join(map(re.escape, words)) + r"(?!\w)")


def mask_contacts(text: str) -> str:
    """Replace phone numbers and e-mail addresses with placeholders."""
    return _EMAIL.sub("[email đã ẩn]", _PHONE.sub(PHONE_MASK, text))


def introduced_names(text: str) -> list[str]:
    """The capitalised names people give after "tôi là", "em tên là", "họ tên:"…"""
    text = unicodedata.normalize("NFC", text)
    found = (_CAPITALISED_NAME.match(text, m.end()) for m in _INTRO.finditer(text))
    return [m.group() for m in found if m is not None]


def numbers_in(text: str) -> list[str]:
    """The phone and ID numbers written in a text, as digits."""
    found = _PHONE.findall(text) + _ID_NUMBER.findall(text)
    return [re.sub(r"\D", "", n) for n in found]


def _mask_introductions(text: str) -> str:
    out, pos = [], 0
    for intro in _INTRO.finditer(text):
        if intro.start() < pos:
            continue
        name = _CAPITALISED_NAME.match(text, intro.end()) or _ANY_NAME.match(text, intro.end())
        if name is not None:
            out += [text[pos : name.start()], NAME_MASK]
            pos = name.end()
    return "".join(out) + text[pos:]


def mask_names(text: str, names: Iterable[str | None]) -> str:
    """``names`` masked wherever they appear, however spaced, cased or accented; with phone,
    e-mail and ID numbers (a text beside a denouncer's may quote theirs)."""
    text = unicodedata.normalize("NFC", text)
    for name in {n for n in names if n}:
        pattern = _name_pattern(name)
        spans = [m.span() for m in pattern.finditer(fold(text))] if pattern else []
        for start, end in reversed(spans):
            text = text[:start] + NAME_MASK + text[end:]
    return _ID_NUMBER.sub(ID_MASK, mask_contacts(text))


def mask_identity(text: str, hide: Iterable[str | None] = ()) -> str:
    """A shielded sender's text: introductions, ``hide`` names, numbers and addresses masked."""
    text = unicodedata.normalize("NFC", text)
    names = [*hide, *introduced_names(text)]
    return mask_names(_ADDRESS.sub(ADDRESS_MASK, _mask_introductions(text)), names)


def excerpt(text: str, limit: int = 200, *, hide: Iterable[str | None] = ()) -> str:
    """The first ``limit`` characters on one line, contacts masked, ``hide`` names removed."""
    flat = mask_names(_SPACES.sub(" ", text).strip(), hide)
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def mentions(text: str, names: Iterable[str], numbers: Iterable[str]) -> bool:
    """Whether ``text`` gives one of the names or numbers (phones compared on their last nine
    digits, so 0912…, +84 912… and 0912.345.678 are one number)."""
    nfc = unicodedata.normalize("NFC", text)
    folded, lowered = fold(nfc), nfc.lower()
    for name in names:
        pattern = _name_pattern(name, strict_single=True)
        if pattern is not None and (pattern.search(folded) or pattern.search(lowered)):
            return True
    runs = [re.sub(r"\D", "", r) for r in re.findall(r"\d[\d\s.\-()]*", text)]
    wanted = {n[-9:] for n in numbers if len(n) >= 9}
    return any(w in run for w in wanted for run in runs)


def spreadsheet_text(value: str) -> str:
    """A cell Excel or LibreOffice will not run: text starting = + - @ tab or CR gets a quote."""
    return "'" + value if value.startswith(("=", "+", "-", "@", "\t", "\r")) else value
