"""Choosing what officers confirm first: the most doubtful predictions, then a random share."""

from __future__ import annotations

import pytest

from classifier.confirmation import RANDOM, UNCERTAIN, doubt, needs_confirmation
from classifier.labels import CATEGORIES
from classifier.model import Prediction
from classifier.training import TrainingResult


def prediction(
    top: float, second: float, *, urgency: str = "none", urgent_score: float = 0.0
) -> Prediction:
    rest = (1.0 - top - second) / (len(CATEGORIES) - 2)
    probs = dict(zip(CATEGORIES, [top, second] + [rest] * (len(CATEGORIES) - 2), strict=True))
    return Prediction(
        category=CATEGORIES[0],
        urgent=urgency != "none",
        field="khac",
        confidence=top,
        category_probs=probs,
        model_version="test",
        urgency=urgency,
        urgent_score=urgent_score,
    )


def test_doubt_is_one_minus_the_margin_of_the_top_two_categories() -> None:
    assert doubt(prediction(0.9, 0.05)) == pytest.approx(0.15)
    assert doubt(prediction(0.45, 0.44)) == pytest.approx(0.99)


def test_an_urgency_at_its_threshold_or_said_possible_is_doubtful_whatever_the_category() -> None:
    assert doubt(prediction(0.95, 0.01, urgent_score=0.42), urgent_threshold=0.4) > 0.9
    assert doubt(prediction(0.95, 0.01, urgency="possible", urgent_score=0.99)) == 1.0
    assert doubt(prediction(0.95, 0.01, urgent_score=0.02), urgent_threshold=0.4) < 0.3


def test_the_most_doubtful_come_first_then_a_random_share_of_the_others() -> None:
    batch = [prediction(0.9 - i * 0.01, 0.05) for i in range(40)]  # later ones more doubtful
    batch[3] = prediction(0.4, 0.39)
    picks = needs_confirmation(batch, 8, random_share=0.25, seed=1)
    uncertain = [p.index for p in picks if p.reason == UNCERTAIN]
    randoms = [p.index for p in picks if p.reason == RANDOM]
    assert uncertain == [3, 39, 38, 37, 36, 35]
    assert len(randoms) == 2 and not set(randoms) & set(uncertain)
    assert needs_confirmation(batch, 8, random_share=0.25, seed=1) == picks  # deterministic
    assert needs_confirmation(batch, 8, random_share=0.25, seed=2) != picks


def test_a_small_batch_is_returned_whole_and_a_bad_share_is_refused() -> None:
    batch = [prediction(0.8, 0.1), prediction(0.5, 0.4)]
    assert sorted(p.index for p in needs_confirmation(batch, 10)) == [0, 1]
    assert needs_confirmation([], 5) == []
    with pytest.raises(ValueError, match="random_share"):
        needs_confirmation(batch, 1, random_share=1.5)


def test_real_predictions_carry_what_the_choice_needs(trained: TrainingResult) -> None:
    texts = ["cho hỏi giờ làm việc", "đường ngập quá", "ok", "cháy rồi mọi người ơi"]
    predictions = trained.classifier.predict(texts)
    picks = needs_confirmation(predictions, 2, random_share=0.5, seed=0)
    assert [p.reason for p in picks] == [UNCERTAIN, RANDOM]
    assert all(0.0 <= p.doubt <= 1.0 for p in picks)
    assert all(0.0 <= p.urgent_score <= 1.0 for p in predictions)
