"""The to_cao shield fails safe: a cue, a to_cao score at the threshold or the category masks."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.labels import CATEGORIES, FIELDS
from classifier.model import TO_CAO, RawPredictions, Thresholds, decide
from classifier.normalize import normalize, strip_tokens
from classifier.shield import accusation


def cue(text: str) -> bool:
    normalized = normalize(text)
    tokens = normalized.split()
    return accusation(normalized, tokens, strip_tokens(tokens))


@pytest.mark.parametrize(
    "text",
    [
        "Tôi báo việc này, xin giữ kín tên giúp tôi",
        "xin giau ten, ong truong thon nhan phong bi cua nha thau",
        "cán bộ địa chính đòi 5 triệu mới ký",
        "tổ trưởng thu 200k mỗi hộ mà không có biên lai",
        "kế toán xã ăn chặn tiền hỗ trợ lũ",
        "muốn nhanh thì phải có phí bôi trơn",
    ],
)
def test_a_bribe_or_a_request_for_secrecy_is_a_cue_accented_or_not(text: str) -> None:
    assert cue(text)


@pytest.mark.parametrize(
    "text",
    [
        "cho hỏi bộ phận một cửa làm việc thứ bảy không ạ",
        "phong cảnh quê mình đẹp quá",
        "tiền điện tháng này cao quá",
        "công việc này đòi hỏi kiên nhẫn",
    ],
)
def test_ordinary_texts_carry_no_cue(text: str) -> None:
    assert not cue(text)


def shield(to_cao_prob: float, *, category: str = "phan_anh", cue: bool = False) -> bool:
    scores = np.full((1, len(CATEGORIES)), 0.01)
    scores[0, CATEGORIES.index(category)] = 0.9
    probs = scores.copy()
    probs[0, TO_CAO] = to_cao_prob
    raw = RawPredictions(
        category_scores=scores,
        category_probs=probs,
        urgent_score=np.zeros(1),
        urgent_rule=np.zeros(1, np.bool_),
        urgent=np.zeros(1, np.bool_),
        field_probs=np.full((1, len(FIELDS)), 1 / len(FIELDS)),
        accusation=np.asarray([cue]),
    )
    masked = decide(raw, Thresholds(shield=0.05)).shield
    assert masked is not None
    return bool(masked[0])


def test_the_to_cao_score_masks_from_the_fitted_threshold_up() -> None:
    assert shield(0.05)
    assert not shield(0.049)


def test_a_cue_or_the_to_cao_category_masks_whatever_the_score() -> None:
    assert shield(0.0, cue=True)
    assert shield(0.0, category="to_cao")
