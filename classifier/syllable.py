"""Vietnamese syllable structure: where the tone mark goes.

Two spellings coexist for open syllables ending in oa/oe/uy ("hoà"/"hòa", "thuỷ"/"thủy"), and
careless typing puts marks on the wrong vowel ("qúy", "lựơng", "baỏ"). Mapping every syllable to
one convention (the "old" one, as underthesea does) lets both spellings share features.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

_PRECOMPOSED: Final = re.compile(r"[^\u0300-\u036f]+")
_TONE_MARKS: Final = frozenset("\u0300\u0301\u0303\u0309\u0323")
# Vowels whose quality mark (circumflex, breve, horn) attracts the tone mark.
_MARKED_VOWELS: Final = frozenset("ăâêôơư")
_SYLLABLE: Final = re.compile(
    r"(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])?"
    r"([aăâeêioôơuưy]{1,3})"
    r"(ch|ng|nh|[cmnpt])?"
)


def place_tone_mark(token: str) -> str:
    """Move the tone mark of a lowercase syllable to its old-style place; other tokens unchanged.

    "hoà" → "hòa", "thuỷ" → "thủy", "qúy" → "quý", "lựơng" → "lượng", "baỏ" → "bảo".
    """
    if token.isascii() or not _PRECOMPOSED.fullmatch(token):
        # ASCII: no mark to move (unaccented typing). Stray combining marks: not a syllable.
        return token
    decomposed = unicodedata.normalize("NFD", token)
    tones = [ch for ch in decomposed if ch in _TONE_MARKS]
    if len(tones) != 1:
        return token
    base = unicodedata.normalize("NFC", decomposed.replace(tones[0], ""))
    match = _SYLLABLE.fullmatch(base)
    if match is None:
        return token
    initial, nucleus, final = match.group(1) or "", match.group(2), match.group(3) or ""
    position = _tone_position(nucleus, has_final=bool(final))
    index = len(initial) + position
    vowel = unicodedata.normalize("NFC", base[index] + tones[0])
    return base[:index] + vowel + base[index + 1 :]


def _tone_position(nucleus: str, *, has_final: bool) -> int:
    marked = [i for i, ch in enumerate(nucleus) if ch in _MARKED_VOWELS]
    if marked:
        return marked[-1]  # "ươ" → ơ, "uyê" → ê
    if has_final:
        return len(nucleus) - 1  # "hoàng", "toán"
    # Open syllable: first of two ("hòa", "thủy", "mùa"), middle of three ("ngoài", "khuỷu").
    return 1 if len(nucleus) == 3 else 0
