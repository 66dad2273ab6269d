"""Cues of a denunciation, for masking: fail safe, so a cue is enough.

A to_cao item shown to the whole unit exposes the denouncer, which the law forbids (Luật Tố cáo
2018, Article 8(3)); masking a text that is not a denunciation only delays it until a leader
clears it. So besides the model's to_cao probability, a text is masked when it asks for the
sender's name to be kept secret, or names a bribe, a kickback or an official taking money.
These cues are never used to choose the category.
"""

from __future__ import annotations

import re
from typing import Final

from classifier.normalize import strip_diacritics
from classifier.triggers import TriggeredPatterns

_CUES: Final[tuple[str, ...]] = (
    r"(?:giữ|giấu) (?:kín |bí mật )?(?:tên|danh tính|thông tin)",
    r"xin (?:được )?giấu tên",
    r"không (?:nêu|công khai) tên",
    r"phong bì",
    r"hối lộ",
    r"ăn chặn",
    r"ăn hối",
    r"bồi dưỡng (?:anh em|cho|_num_)",
    r"đòi (?:\S+ ){0,2}?(?:tiền|_num_)",
    r"(?:thu|nhận|bắt (?:đóng|nộp)) (?:\S+ ){0,3}?(?:_num_|tiền) (?:\S+ ){0,6}?(?:không|ko|chẳng)"
    r" (?:có )?(?:biên lai|phiếu thu|hóa đơn)",
    r"chia (?:cho|hết cho) người nhà",
    r"lạm quyền",
    r"tham ô",
    r"rút ruột",
    r"(?:phí|tiền) (?:ngoài|làm nhanh|bôi trơn)",
)


def _compile(patterns: list[str]) -> re.Pattern[str]:
    return re.compile(r"(?<!\S)(?:" + "|".join(patterns) + r")(?!\S)")


# Each cue runs only on texts that carry one of its trigger words (classifier.triggers).
_ACCENTED: Final = TriggeredPatterns(list(_CUES), _compile)
_PLAIN: Final = TriggeredPatterns([strip_diacritics(c) for c in _CUES], _compile)


def accusation(normalized: str, tokens: list[str], stripped: list[str]) -> bool:
    """True when a normalised text (tokens: its words, stripped: unaccented) carries a cue of a
    denunciation (see the module doc)."""
    accented = _ACCENTED.select(tokens)
    if accented is not None and accented.search(normalized):
        return True
    plain = _PLAIN.select(stripped)
    return plain is not None and plain.search(" ".join(stripped)) is not None
