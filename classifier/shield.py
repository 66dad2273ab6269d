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
_ACCENTED: Final = re.compile(r"(?<!\S)(?:" + "|".join(_CUES) + r")(?!\S)")
_PLAIN: Final = re.compile(
    r"(?<!\S)(?:" + "|".join(strip_diacritics(c) for c in _CUES) + r")(?!\S)"
)
_TRIGGERS: Final = frozenset(
    [
        "giữ",
        "giấu",
        "xin",
        "không",
        "phong",
        "hối",
        "ăn",
        "bồi",
        "đòi",
        "thu",
        "nhận",
        "bắt",
        "chia",
        "lạm",
        "tham",
        "rút",
        "phí",
        "tiền",
    ]
)
_PLAIN_TRIGGERS: Final = frozenset(strip_diacritics(" ".join(_TRIGGERS)).split())


def accusation(normalized: str, stripped: list[str]) -> bool:
    """True when a normalised text carries a cue of a denunciation (see the module doc)."""
    if _PLAIN_TRIGGERS.isdisjoint(stripped):
        return False
    if _ACCENTED.search(normalized):
        return True
    return _PLAIN.search(" ".join(stripped)) is not None
