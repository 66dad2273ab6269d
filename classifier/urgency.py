"""High-precision danger phrases that mark a text urgent whatever the model says.

The model is tuned for recall; these rules catch the unmistakable cases even when the model has
seen few like them. They deliberately avoid words that also describe recurring or past problems
("ngập", "tai nạn", "đuối nước" alone): "đoạn này hay xảy ra tai nạn, đề nghị lắp đèn" and
"năm nào cũng có trẻ đuối nước" are not urgent. Precision was checked on the seed TRAIN split.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise
from typing import Final

from classifier.normalize import strip_diacritics, strip_tokens

# Matched on the normalised text.
DANGER_PHRASES: Final[tuple[str, ...]] = (
    "đang cháy",
    "bốc cháy",
    "cháy dữ dội",
    "hỏa hoạn",
    "đang tóe lửa",
    "điện giật",
    "giật điện",
    "dây điện đứt",
    "đứt dây điện",
    "dây điện bị đứt",
    "rò rỉ khí",
    "rò rỉ ga",
    "rò rỉ gas",
    "rò gas",
    "xì gas",
    "lũ quét",
    "vỡ đê",
    "sắp sập",
    "đang sập",
    "đang sạt lở",
    "bị đuối nước",
    "đang đuối nước",
    "cần cấp cứu",
    "đang cấp cứu",
    "đưa đi cấp cứu",
    "đâm chém",
    "hỗn chiến",
    "đang đánh nhau",
    "cầm dao",
    "bắt cóc",
    "mất tích",
    "cứu với",
    "cứu tôi",
    "cứu em",
    "đang bị trừ tiền",
    "bị trừ tiền liên tục",
    "đang bị rút tiền",
    "bị rút tiền liên tục",
)

# Unaccented spellings that stay unambiguous ("dang chay" is also "đang chạy": not listed).
STRIPPED_PHRASES: Final[tuple[str, ...]] = (
    "boc chay",
    "hoa hoan",
    "dang toe lua",
    "dien giat",
    "giat dien",
    "day dien dut",
    "dut day dien",
    "ro ri khi",
    "ro ri ga",
    "ro ri gas",
    "lu quet",
    "bi duoi nuoc",
    "can cap cuu",
    "dua di cap cuu",
    "dam chem",
    "dang danh nhau",
    "bat coc",
    "mat tich",
    "cuu voi",
    "dang bi tru tien",
    "bi tru tien lien tuc",
)

# A danger word right after one of these is not a present danger ("không ai bị điện giật",
# "diễn tập phòng cháy", "kè chống sạt lở").
_NEGATION_WORDS: Final = (
    "không chưa chẳng chả hết phòng chống tránh diễn tập huấn tuyên truyền nếu lỡ"
)
NEGATIONS: Final = frozenset(_NEGATION_WORDS.split() + strip_diacritics(_NEGATION_WORDS).split())
NEGATION_WINDOW: Final = 4
_CLAUSE_ENDS: Final = frozenset(",.;:!?")
# Texts that report the danger as over, or that ask how to deal with one in general.
RESOLVED = re.compile(
    r"(?<!\w)(?:đã (?:được )?(?:dập tắt|khắc phục|xử lý xong)|da (?:duoc )?(?:dap tat|khac phuc))"
    r"|^(?:cho|xin) (?:em |mình |tôi |cháu |e |minh |toi |chau )?(?:hỏi|hoi)(?!\w)"
)


def _by_first_pair(phrases: Sequence[str]) -> dict[tuple[str, str], list[tuple[str, ...]]]:
    index: dict[tuple[str, str], list[tuple[str, ...]]] = {}
    for phrase in phrases:
        words = tuple(phrase.split())
        index.setdefault((words[0], words[1]), []).append(words)
    return index


# Phrases indexed by their first two words: one dict lookup per adjacent token pair.
_ACCENTED: Final = _by_first_pair(DANGER_PHRASES)
_STRIPPED: Final = _by_first_pair(STRIPPED_PHRASES)
# Most texts contain no phrase's first word at all: a set test in C rules them out cheaply.
_FIRST_ACCENTED: Final = frozenset(first for first, _second in _ACCENTED)
_FIRST_STRIPPED: Final = frozenset(first for first, _second in _STRIPPED)


def danger_rule(normalized: str) -> bool:
    """True when a normalised text names an ongoing danger that is not negated."""
    tokens = normalized.split()
    return danger_rule_tokens(tokens, strip_tokens(tokens), normalized)


def danger_rule_tokens(tokens: list[str], stripped: list[str], normalized: str) -> bool:
    """danger_rule on a text already split (and stripped) by the caller."""
    if _FIRST_ACCENTED.isdisjoint(tokens) and _FIRST_STRIPPED.isdisjoint(stripped):
        return False
    if not (_live_phrase(_ACCENTED, tokens) or _live_phrase(_STRIPPED, stripped)):
        return False
    return RESOLVED.search(normalized) is None


def _live_phrase(index: dict[tuple[str, str], list[tuple[str, ...]]], tokens: list[str]) -> bool:
    get = index.get
    for start, candidates in enumerate(map(get, pairwise(tokens))):
        if candidates is None:
            continue
        for words in candidates:
            if tuple(tokens[start : start + len(words)]) == words and not _negated(tokens, start):
                return True
    return False


def _negated(tokens: list[str], start: int) -> bool:
    before = tokens[max(0, start - NEGATION_WINDOW) : start]
    # A negation does not reach across a clause: "không ai trực , có người bị điện giật".
    for i in range(len(before) - 1, -1, -1):
        if before[i] in _CLAUSE_ENDS:
            before = before[i + 1 :]
            break
    return not NEGATIONS.isdisjoint(before)
