"""Training and prediction: determinism, edge-case texts, calibration and urgency logic."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from classifier.dataset import Example, SeedSet
from classifier.labels import CATEGORIES, FIELDS
from classifier.model import KHAC, RawPredictions, Thresholds, decide, full_proba, temperature_scale
from classifier.training import (
    TrainingConfig,
    TrainingResult,
    fit_temperature,
    train,
    urgent_threshold,
)


def test_training_is_deterministic_for_a_fixed_seed(
    corpus: SeedSet, small_config: TrainingConfig, trained: TrainingResult
) -> None:
    again = train(corpus.train, small_config, seed=0)
    texts = [ex.text for ex in corpus.heldout]
    first, second = trained.classifier.predict_raw(texts), again.classifier.predict_raw(texts)
    np.testing.assert_array_equal(first.category_probs, second.category_probs)
    np.testing.assert_array_equal(first.urgent, second.urgent)
    assert trained.classifier.parts.temperature == again.classifier.parts.temperature
    assert trained.classifier.parts.urgent_threshold == again.classifier.parts.urgent_threshold


@pytest.mark.parametrize("text", ["", "   ", "😍😍😍", "👍", "\u200b", "?"])
def test_empty_and_emoji_only_texts_get_a_valid_prediction(
    trained: TrainingResult, text: str
) -> None:
    [prediction] = trained.classifier.predict([text])
    assert prediction.category in CATEGORIES
    assert prediction.field in FIELDS
    assert 0.0 <= prediction.confidence <= 1.0


def test_predictions_carry_labels_probabilities_and_version(
    trained: TrainingResult, corpus: SeedSet
) -> None:
    classifier = trained.classifier.with_version("0007-20250101")
    predictions = classifier.predict([ex.text for ex in corpus.heldout])
    assert len(predictions) == len(corpus.heldout)
    for prediction in predictions:
        assert prediction.model_version == "0007-20250101"
        assert prediction.category_probs is not None
        assert math.isclose(sum(prediction.category_probs.values()), 1.0)
        assert prediction.confidence == pytest.approx(
            prediction.category_probs[prediction.category]
        )
        assert prediction.category == max(
            prediction.category_probs, key=prediction.category_probs.__getitem__
        )
    assert classifier.predict([]) == []


def test_model_learns_the_synthetic_corpus(trained: TrainingResult, corpus: SeedSet) -> None:
    predictions = trained.classifier.predict([ex.text for ex in corpus.heldout])
    right = sum(
        p.category == ex.category for p, ex in zip(predictions, corpus.heldout, strict=True)
    )
    assert right / len(corpus.heldout) > 0.9


def test_danger_rule_marks_urgent_even_when_no_urgent_example_was_seen(
    corpus: SeedSet, small_config: TrainingConfig
) -> None:
    calm = [ex for ex in corpus.train if not ex.urgent]
    classifier = train(calm, small_config).classifier
    danger, calm_text = classifier.predict(
        ["dây điện đứt đang tóe lửa ở ngõ 5", "cho hỏi giờ làm việc"]
    )
    assert danger.urgent
    assert not calm_text.urgent


def raw(scores: list[float], rule: list[bool]) -> RawPredictions:
    n = len(scores)
    uniform = np.full((n, len(CATEGORIES)), 1 / len(CATEGORIES))
    return RawPredictions(
        category_scores=uniform,
        category_probs=uniform,
        urgent_score=np.asarray(scores),
        urgent_rule=np.asarray(rule),
        urgent=np.asarray(rule),
        field_probs=np.full((n, len(FIELDS)), 1 / len(FIELDS)),
    )


def test_urgent_threshold_is_the_highest_that_reaches_the_recall_target() -> None:
    scores = [0.05, 0.2, 0.3, 0.35, 0.45, 0.9, 0.4]
    truth = np.asarray([True, True, True, True, True, False, False])
    # 4 of 5 positives needed for recall 0.8: the 4th highest positive score is 0.2.
    assert urgent_threshold(raw(scores, [False] * 7), truth, 0.8) == 0.2
    # A rule catching the 0.05 positive lowers the need to 3 model hits: threshold 0.3.
    assert urgent_threshold(raw(scores, [True] + [False] * 6), truth, 0.8) == 0.3


def test_urgent_threshold_never_exceeds_the_balanced_boundary() -> None:
    truth = np.asarray([True, True, False])
    assert urgent_threshold(raw([0.9, 0.95, 0.1], [False] * 3), truth, 0.95) == 0.5


def test_fitted_temperature_recovers_the_temperature_that_generated_the_labels() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4000, len(CATEGORIES))) * 3
    true_probs = temperature_scale(np.exp(logits) / np.exp(logits).sum(1, keepdims=True), 1.0)
    labels = np.asarray([rng.choice(len(CATEGORIES), p=row) for row in true_probs])
    overconfident = temperature_scale(true_probs, 0.5)  # what an overfitted model would output
    assert fit_temperature(overconfident, labels) == pytest.approx(2.0, rel=0.15)


def test_sample_weights_count_in_training(corpus: SeedSet, small_config: TrainingConfig) -> None:
    text = "camera ở ngã tư hỏng rồi"
    votes = [Example(text, "gop_y", False, "khac", "comment")] * 3

    def phan_anh_probability(weight: float) -> float:
        dissent = Example(text, "phan_anh", False, "an_ninh_trat_tu", "comment", weight=weight)
        classifier = train([*corpus.train, *votes, dissent], small_config).classifier
        probs = classifier.predict([text])[0].category_probs
        assert probs is not None
        return probs["phan_anh"]

    assert phan_anh_probability(6.0) > phan_anh_probability(1.0) + 0.1


def test_head_probabilities_match_scikit_learn(trained: TrainingResult, corpus: SeedSet) -> None:
    parts = trained.classifier.parts
    matrix = parts.features.transform([ex.text for ex in corpus.heldout])
    for head, width in (
        (parts.category, len(CATEGORIES)),
        (parts.field, len(FIELDS)),
        (parts.urgent, 2),
    ):
        expected = np.zeros((matrix.shape[0], width))
        expected[:, head.classes_] = head.predict_proba(matrix)
        np.testing.assert_allclose(full_proba(head, matrix, width), expected, atol=1e-6)


def test_predictions_carry_an_urgency_level_and_the_to_cao_shield(trained: TrainingResult) -> None:
    fire, calm, bribe = trained.classifier.predict(
        [
            "Cháy bếp nhà ông Sáu đầu xóm Chợ rồi, mọi người ra giúp với",
            "cho hỏi bộ phận một cửa làm việc thứ bảy không ạ",
            "ông trưởng thôn đòi 2 triệu mới ký giấy, xin giữ kín tên",
        ]
    )
    assert (fire.urgency, fire.urgent) == ("urgent", True)
    assert (calm.urgency, calm.urgent) == ("none", False)
    assert bribe.shield
    assert 0.0 <= bribe.to_cao_score <= 1.0


def levels(scores: list[float], *, stem: list[bool], over: list[bool] | None = None) -> list[str]:
    base = raw(scores, [False] * len(scores))
    flags = replace(
        base,
        danger_word=np.zeros(len(scores), np.bool_),
        danger_over=np.asarray(over or [False] * len(scores)),
        danger_stem=np.asarray(stem),
    )
    thresholds = Thresholds(urgent=0.5, possible=0.4, word=0.3, sure=0.95, shield=0.2)
    return decide(flags, thresholds).urgency()


def test_the_model_alone_pages_without_a_danger_stem_only_when_very_sure() -> None:
    # "giá vàng lại tăng rồi mọi người ơi" has the tone of a shout and no danger in it.
    assert levels([0.92, 0.97], stem=[False, False]) == ["none", "possible"]
    assert levels([0.45, 0.3], stem=[True, True]) == ["possible", "none"]


def test_a_very_sure_model_outweighs_a_lexicon_that_reads_the_danger_as_over() -> None:
    assert levels([0.99, 0.6], stem=[True, True], over=[True, True]) == ["possible", "none"]


def test_chit_chat_is_never_possible_from_the_model_alone() -> None:
    base = raw([0.99], [False])
    chat = np.zeros((1, len(CATEGORIES)))
    chat[0, KHAC] = 1.0
    flags = replace(base, category_scores=chat, category_probs=chat, danger_stem=np.ones(1, bool))
    assert decide(flags, Thresholds(possible=0.1, sure=0.9)).urgency() == ["none"]
