"""Fitting the three heads, and calibrating them on stratified out-of-fold predictions."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from itertools import product
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize_scalar
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold
from threadpoolctl import threadpool_limits

from classifier.dataset import Example
from classifier.features import TextFeatures
from classifier.labels import CATEGORIES, FIELDS
from classifier.model import (
    TO_CAO,
    Classifier,
    ModelParts,
    RawPredictions,
    Thresholds,
    decide,
    temperature_scale,
)
from classifier.normalize import normalize

Step = Callable[[str], None]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class TrainingConfig:
    """Feature views and head settings.

    The defaults were chosen by stratified 5-fold CV on the seed TRAIN split only
    (`python3 -m classifier.selection`): accent-stripped char (1,4) n-grams plus word 1-2-grams
    on both the accented and the stripped text, sublinear tf, C = 10 for every head.
    """

    views: tuple[str, ...] = ("char_stripped", "word", "word_stripped")
    char_ngrams: tuple[int, int] = (1, 4)
    word_bigrams: bool = True
    min_df: int = 2
    sublinear_tf: bool = True
    category_c: float = 10.0
    field_c: float = 10.0
    urgent_c: float = 10.0
    urgent_recall: float = 0.95
    # Recall of "urgent or possible" (what reaches the duty officer) on out-of-fold predictions.
    alert_recall: float = 0.97
    # to_cao recall of the masking threshold on out-of-fold predictions.
    shield_recall: float = 0.98
    folds: int = 5
    max_iter: int = 3000

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> TrainingConfig:
        """Inverse of as_dict (sidecars and artefacts hold lists where tuples were)."""
        known = {f.name for f in fields(cls)}
        kwargs: dict[str, Any] = {
            key: tuple(value) if isinstance(value, list) else value
            for key, value in values.items()
            if key in known
        }
        return cls(**kwargs)


DEFAULT_CONFIG = TrainingConfig()


@dataclass(frozen=True, slots=True)
class TrainingResult:
    classifier: Classifier
    # Out-of-fold predictions of the training set (None when it is too small to fold).
    cv_predictions: RawPredictions | None


def fit_parts(
    examples: Sequence[Example], config: TrainingConfig, normalized: Sequence[str] | None = None
) -> ModelParts:
    """Fit features and heads on all examples (uncalibrated: T = 1, threshold 0.5)."""
    if normalized is None:
        normalized = [normalize(ex.text) for ex in examples]
    docs = [text.split() for text in normalized]
    weights = np.asarray([ex.weight for ex in examples], dtype=np.float64)
    features = TextFeatures(
        views=config.views,
        char_ngrams=config.char_ngrams,
        word_bigrams=config.word_bigrams,
        min_df=config.min_df,
        sublinear_tf=config.sublinear_tf,
    ).fit_normalized(docs)
    matrix = features.transform_normalized(docs)
    labels = label_indices(examples)
    return ModelParts(
        features=features,
        category=_fit_head(matrix, labels["category"], weights, config.category_c, config),
        field=_fit_head(matrix, labels["field"], weights, config.field_c, config),
        urgent=_fit_head(matrix, labels["urgent"], weights, config.urgent_c, config),
        config=config.as_dict(),
    )


def label_indices(examples: Sequence[Example]) -> dict[str, IntArray]:
    return {
        "category": np.asarray([CATEGORIES.index(ex.category) for ex in examples], dtype=np.int64),
        "field": np.asarray([FIELDS.index(ex.field) for ex in examples], dtype=np.int64),
        "urgent": np.asarray([int(ex.urgent) for ex in examples], dtype=np.int64),
    }


def _fit_head(
    matrix: object, y: IntArray, weights: npt.NDArray[np.float64], c: float, config: TrainingConfig
) -> LogisticRegression | DummyClassifier:
    if len(np.unique(y)) < 2:
        # A label set with one value (tiny or one-sided data): predict it with certainty.
        return DummyClassifier(strategy="prior").fit(np.zeros((len(y), 1)), y)
    # newton-cg reaches the same optimum as lbfgs in about half the time on these problems.
    head = LogisticRegression(
        C=c, class_weight="balanced", solver="newton-cg", max_iter=config.max_iter
    )
    # One BLAS thread: these problems are small, and on a busy 2-core host OpenBLAS threads
    # spin against each other (measured on a 130-example fit: 0.3 s against 4-15 s threaded).
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        return head.fit(matrix, y, sample_weight=weights)


def train(
    examples: Sequence[Example],
    config: TrainingConfig = DEFAULT_CONFIG,
    *,
    seed: int = 0,
    step: Step | None = None,
) -> TrainingResult:
    """Cross-validate for calibration, then fit on everything. Deterministic for a seed."""
    normalized = [normalize(ex.text) for ex in examples]  # once for the folds and the final fit
    oof = out_of_fold(examples, config, seed=seed, step=step, normalized=normalized)
    parts = fit_parts(examples, config, normalized)
    if step is not None:
        step("final")
    classifier = Classifier(parts)
    if oof is None:
        return TrainingResult(classifier, None)
    labels = label_indices(examples)
    temperature = fit_temperature(oof.category_scores, labels["category"])
    thresholds = fit_thresholds(oof, labels, temperature, config)
    calibrated = _recalibrate(oof, temperature, thresholds)
    return TrainingResult(classifier.with_calibration(temperature, thresholds), calibrated)


def fit_thresholds(
    oof: RawPredictions, labels: dict[str, IntArray], temperature: float, config: TrainingConfig
) -> Thresholds:
    """Urgency and masking thresholds from out-of-fold predictions (recall first)."""
    urgent = labels["urgent"].astype(bool)
    # A danger word with a model score past the balanced boundary is urgent; below it, the
    # "possible" thresholds decide (recall of what reaches the duty officer comes first).
    strict = max(0.5, urgent_threshold(oof, urgent, config.urgent_recall))
    alert = alert_thresholds(oof, urgent, strict, config.alert_recall)
    probs = temperature_scale(oof.category_scores, temperature)[:, TO_CAO]
    shield = recall_threshold(probs[labels["category"] == TO_CAO], config.shield_recall)
    return replace(alert, shield=shield)


def recall_threshold(positive_scores: npt.NDArray[np.float64], recall: float) -> float:
    """Highest threshold that keeps `recall` of the positive scores at or above it."""
    if len(positive_scores) == 0:
        return 0.5
    ordered = np.sort(positive_scores)[::-1]
    return float(ordered[min(len(ordered), math.ceil(recall * len(ordered))) - 1])


# Candidate thresholds of the "possible" level, strictest first (ties go to the strictest).
POSSIBLE_GRID: Final = (0.6, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1)
WORD_GRID: Final = (0.3, 0.2, 0.1, 0.05, 0.02, 0.0)
# The model alone, on a text naming no danger stem, needs at least 0.9 (1.01: never): chit-chat
# shares the tone of shouts ("… rồi mọi người ơi"), and the seed holds too little of it to fit a
# lower bar on.
SURE_GRID: Final = (1.01, 0.995, 0.99, 0.98, 0.97, 0.96, 0.95, 0.93, 0.9)


def alert_thresholds(
    raw: RawPredictions, y: npt.NDArray[np.bool_], strict: float, target: float
) -> Thresholds:
    """Thresholds of "possible" (possible, word, sure) that reach `target` recall of
    urgent-or-possible with the fewest non-urgent texts flagged, as `decide` applies them; the
    most lenient when none reaches it."""
    best: tuple[int, Thresholds] | None = None
    needed = target * y.sum()
    for possible, word, sure in product(POSSIBLE_GRID, WORD_GRID, SURE_GRID):
        candidate = Thresholds(urgent=strict, possible=possible, word=word, sure=sure)
        flagged = decide(raw, candidate).urgent
        if (flagged & y).sum() >= needed:
            false = int((flagged & ~y).sum())
            if best is None or false < best[0]:
                best = (false, candidate)
    if best is None:
        return Thresholds(urgent=strict, possible=POSSIBLE_GRID[-1], word=0.0, sure=SURE_GRID[-1])
    return best[1]


def fold_count(examples: Sequence[Example], config: TrainingConfig) -> int:
    """Folds used for out-of-fold predictions (0 when the set is too small to fold)."""
    return config.folds if len(examples) >= 4 * config.folds else 0


def out_of_fold(
    examples: Sequence[Example],
    config: TrainingConfig,
    *,
    seed: int,
    step: Step | None = None,
    normalized: Sequence[str] | None = None,
) -> RawPredictions | None:
    """Predictions of each example by a model that did not see it (stratified by category)."""
    folds = fold_count(examples, config)
    if folds == 0:
        return None
    labels = label_indices(examples)["category"]
    counts = np.bincount(labels)
    smallest = int(counts[counts > 0].min())
    # Stratify whenever every category can appear in every fold.
    splitter = (
        StratifiedKFold(folds, shuffle=True, random_state=seed)
        if smallest >= folds
        else KFold(folds, shuffle=True, random_state=seed)
    )
    if normalized is None:
        normalized = [normalize(ex.text) for ex in examples]
    chunks: list[tuple[IntArray, RawPredictions]] = []
    for number, (train_idx, test_idx) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
        parts = fit_parts(
            [examples[i] for i in train_idx], config, [normalized[i] for i in train_idx]
        )
        predicted = Classifier(parts).predict_normalized([normalized[i] for i in test_idx])
        chunks.append((test_idx, predicted))
        if step is not None:
            step(f"fold {number + 1}/{folds}")
    return _merge(chunks, len(examples))


def _merge(chunks: list[tuple[IntArray, RawPredictions]], n: int) -> RawPredictions:
    order = np.concatenate([idx for idx, _ in chunks])
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.arange(n)

    def stack(name: str) -> npt.NDArray[np.float64]:
        values = [getattr(raw, name) for _, raw in chunks]
        return np.concatenate(values)[inverse]

    def flags(name: str) -> npt.NDArray[np.bool_] | None:
        if any(getattr(raw, name) is None for _, raw in chunks):
            return None
        return stack(name).astype(bool)

    return RawPredictions(
        category_scores=stack("category_scores"),
        category_probs=stack("category_probs"),
        urgent_score=stack("urgent_score"),
        urgent_rule=stack("urgent_rule").astype(bool),
        urgent=stack("urgent").astype(bool),
        field_probs=stack("field_probs"),
        danger_word=flags("danger_word"),
        danger_over=flags("danger_over"),
        danger_stem=flags("danger_stem"),
        possible=flags("possible"),
        accusation=flags("accusation"),
        shield=flags("shield"),
    )


def fit_temperature(scores: npt.NDArray[np.float64], y: IntArray) -> float:
    """Temperature minimising the negative log-likelihood of out-of-fold predictions."""
    log_p = np.log(np.clip(scores, 1e-12, 1.0))

    def nll(log_t: float) -> float:
        logits = log_p / math.exp(log_t)
        logits -= logits.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(logits).sum(axis=1))
        return float(np.mean(log_norm - logits[np.arange(len(y)), y]))

    result = minimize_scalar(nll, bounds=(math.log(0.05), math.log(20.0)), method="bounded")
    return float(math.exp(result.x))


def urgent_threshold(raw: RawPredictions, y: npt.NDArray[np.bool_], target: float) -> float:
    """Highest threshold whose rule-or-model recall reaches `target`, capped at 0.5.

    The cap keeps the balanced model's own boundary when the rules alone already reach the
    target on the training data: recall on new data is what matters, precision comes second.
    """
    positives = int(y.sum())
    if positives == 0:
        return 0.5
    need = math.ceil(target * positives) - int((raw.urgent_rule & y).sum())
    if need <= 0:
        return 0.5
    word = raw.danger_word if raw.danger_word is not None else np.ones(len(y), np.bool_)
    missed = np.sort(raw.urgent_score[y & ~raw.urgent_rule & word])[::-1]
    if len(missed) == 0:
        return 0.5
    return float(min(0.5, missed[min(need, len(missed)) - 1]))


def _recalibrate(raw: RawPredictions, temperature: float, thresholds: Thresholds) -> RawPredictions:
    probs = temperature_scale(raw.category_scores, temperature)
    return decide(replace(raw, category_probs=probs), thresholds)
