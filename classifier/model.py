"""A trained classifier: texts in, one Prediction per text out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from scipy.special import expit, softmax
from sklearn.linear_model import LogisticRegression

from classifier.features import TextFeatures
from classifier.labels import CATEGORIES, FIELDS
from classifier.normalize import normalize, strip_tokens
from classifier.shield import accusation
from classifier.urgency import NONE, danger_signal

UNSAVED_VERSION: Final = "unsaved"
FloatMatrix = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
# Urgency levels, most pressing first. "possible" reaches the duty officer like "urgent" but
# says that the model is unsure ("có thể khẩn cấp").
URGENCY_LEVELS: Final = ("urgent", "possible", "none")
URGENCY_NAMES: Final = {"urgent": "Khẩn cấp", "possible": "Có thể khẩn cấp", "none": "Không khẩn"}
TO_CAO: Final = CATEGORIES.index("to_cao")
KHAC: Final = CATEGORIES.index("khac")


@dataclass(frozen=True, slots=True, kw_only=True)
class Prediction:
    """What the classifier says about one text (labels as in classifier.labels)."""

    category: str
    # True for "urgent" and for "possible": both must reach the duty officer, day or night.
    urgent: bool
    field: str
    # Calibrated probability that `category` is right (temperature-scaled on CV predictions).
    confidence: float
    category_probs: Mapping[str, float] | None = dataclass_field(default=None, hash=False)
    model_version: str
    urgency: str = "none"  # one of URGENCY_LEVELS
    # Calibrated probability of to_cao, and whether it reaches the masking threshold (chosen on
    # cross-validation for to_cao recall >= 0.98): "có thể là tố cáo", masked until a leader
    # confirms or clears it. Always True when the category itself is to_cao.
    to_cao_score: float = 0.0
    shield: bool = False
    # The urgency model's probability, before the danger lexicon (classifier.confirmation).
    urgent_score: float = 0.0


@dataclass(frozen=True, slots=True)
class ModelParts:
    """Everything a prediction needs; this is what an artefact stores."""

    features: TextFeatures
    category: Any  # fitted scikit-learn classifiers over label indices
    field: Any
    urgent: Any
    temperature: float = 1.0
    urgent_threshold: float = 0.5
    config: dict[str, Any] = dataclass_field(default_factory=dict)
    thresholds: Thresholds = dataclass_field(default_factory=lambda: Thresholds())


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Decision thresholds fitted on out-of-fold predictions (see classifier.training).

    urgent: model score that makes a text naming a danger word urgent;
    possible: model score that makes a text "possible" when it names a danger stem only;
    word: model score that makes a text naming a danger word "possible";
    sure: model score that makes a text "possible" with no danger stem at all (the model
          alone); never below `possible`, so 0.0 (artefacts fitted before it) means `possible`;
    shield: calibrated to_cao probability from which a text is masked as a suspected to_cao.
    The defaults (no fitted calibration) keep every decision on the safe side.
    """

    urgent: float = 0.5
    possible: float = 0.5
    word: float = 0.0
    sure: float = 0.0
    shield: float = 0.2


@dataclass(frozen=True, slots=True)
class RawPredictions:
    """Array form of a batch of predictions (evaluation and calibration work on these)."""

    category_scores: FloatMatrix  # uncalibrated probabilities, CATEGORIES order: the argmax
    category_probs: FloatMatrix  # calibrated probabilities, CATEGORIES order
    urgent_score: npt.NDArray[np.float64]
    urgent_rule: BoolArray  # the lexicon says: a danger happening now
    urgent: BoolArray  # urgency "urgent" or "possible": the duty officer is told
    field_probs: FloatMatrix
    # The lexicon: a danger word named (not over), and a danger said to be over or past.
    danger_word: BoolArray | None = None
    danger_over: BoolArray | None = None
    danger_stem: BoolArray | None = None  # a danger stem is named (classifier.urgency._STEMS)
    possible: BoolArray | None = None  # urgency "possible" (a subset of `urgent`)
    accusation: BoolArray | None = None  # classifier.shield cues: bribes, named misconduct
    shield: BoolArray | None = None  # suspected to_cao

    def urgency(self) -> list[str]:
        strict = self.urgent if self.possible is None else self.urgent & ~self.possible
        return [
            "urgent" if u else "possible" if a else "none"
            for u, a in zip(strict.tolist(), self.urgent.tolist(), strict=True)
        ]


def full_proba(head: Any, matrix: Any, n_classes: int) -> FloatMatrix:
    """Class probabilities spread over all label indices (a head may not have seen every label).

    Computed from the fitted coefficients directly, as LogisticRegression.predict_proba does:
    the input validation of predict_proba costs about 0.5 ms per call, more than the model.
    """
    classes = np.asarray(head.classes_, dtype=np.int64)
    if isinstance(head, LogisticRegression):
        scores = np.asarray(matrix @ head.coef_.T, dtype=np.float64) + head.intercept_
        if scores.shape[1] == 1:  # binary: one column of scores for the second class
            positive = expit(scores[:, 0])
            values = np.column_stack([1.0 - positive, positive])
        else:
            values = softmax(scores, axis=1)
    else:  # DummyClassifier(strategy="prior"): a single label seen in training
        values = np.tile(np.asarray(head.class_prior_, dtype=np.float64), (matrix.shape[0], 1))
    probs = np.zeros((matrix.shape[0], n_classes), dtype=np.float64)
    probs[:, classes] = values
    return probs


def temperature_scale(probs: FloatMatrix, temperature: float) -> FloatMatrix:
    """softmax(log p / T): same argmax, confidence spread fitted on held-out predictions."""
    logits = np.log(np.clip(probs, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    scaled = np.exp(logits)
    scaled[probs <= 0.0] = 0.0  # labels the model never saw stay impossible
    scaled /= scaled.sum(axis=1, keepdims=True)
    return scaled


class Classifier:
    """Predicts category, urgency and field for a batch of texts."""

    def __init__(self, parts: ModelParts, version: str = UNSAVED_VERSION) -> None:
        self.parts = parts
        self._version = version

    @property
    def version(self) -> str:
        return self._version

    def with_version(self, version: str) -> Classifier:
        return Classifier(self.parts, version)

    def with_calibration(self, temperature: float, thresholds: Thresholds) -> Classifier:
        parts = replace(
            self.parts,
            temperature=temperature,
            urgent_threshold=thresholds.urgent,
            thresholds=thresholds,
        )
        return Classifier(parts, self._version)

    def predict_raw(self, texts: Sequence[str]) -> RawPredictions:
        return self.predict_normalized([normalize(text) for text in texts])

    def predict_normalized(self, normalized: Sequence[str]) -> RawPredictions:
        """Array predictions for texts already passed through `normalize`."""
        parts = self.parts
        docs = [text.split() for text in normalized]
        stripped = list(map(strip_tokens, docs))
        matrix = parts.features.transform_normalized(docs)
        scores = full_proba(parts.category, matrix, len(CATEGORIES))
        signals = list(map(danger_signal, normalized, docs, stripped))
        return decide(
            RawPredictions(
                category_scores=scores,
                category_probs=temperature_scale(scores, parts.temperature),
                urgent_score=full_proba(parts.urgent, matrix, 2)[:, 1],
                urgent_rule=np.fromiter((s.live for s in signals), np.bool_, len(signals)),
                urgent=np.zeros(len(signals), dtype=np.bool_),
                field_probs=full_proba(parts.field, matrix, len(FIELDS)),
                danger_word=np.fromiter(
                    (s.level != NONE and not s.over for s in signals), np.bool_, len(signals)
                ),
                danger_over=np.fromiter((s.over for s in signals), np.bool_, len(signals)),
                danger_stem=np.fromiter((s.stem for s in signals), np.bool_, len(signals)),
                accusation=np.fromiter(
                    map(accusation, normalized, docs, stripped), np.bool_, len(docs)
                ),
            ),
            parts.thresholds,
        )

    def predict(self, texts: Sequence[str], *, with_probs: bool = True) -> list[Prediction]:
        if not texts:
            return []
        raw = self.predict_raw(texts)
        category = raw.category_scores.argmax(axis=1)
        confidence = raw.category_probs[np.arange(len(category)), category].tolist()
        field_index = raw.field_probs.argmax(axis=1).tolist()
        probs: list[dict[str, float] | None]
        if with_probs:
            probs = [dict(zip(CATEGORIES, row, strict=True)) for row in raw.category_probs.tolist()]
        else:
            probs = [None] * len(category)
        shield = raw.shield if raw.shield is not None else category == TO_CAO
        version = self._version
        return [
            Prediction(
                category=CATEGORIES[c],
                urgent=level != "none",
                field=FIELDS[f],
                confidence=p,
                category_probs=cp,
                model_version=version,
                urgency=level,
                to_cao_score=t,
                shield=sh,
                urgent_score=u,
            )
            for c, level, f, p, cp, t, sh, u in zip(
                category.tolist(),
                raw.urgency(),
                field_index,
                confidence,
                probs,
                raw.category_probs[:, TO_CAO].tolist(),
                shield.tolist(),
                raw.urgent_score.tolist(),
                strict=True,
            )
        ]


def decide(raw: RawPredictions, thresholds: Thresholds) -> RawPredictions:
    """Urgency levels and the to_cao shield from scores, lexicon signals and thresholds.

    urgent:   the lexicon names a danger happening now, or it names a danger word and the
              model passes `urgent`;
    possible: otherwise: on a text that is not chit-chat (category khac) the model passes
              `sure`; or, unless the text says the danger is over, a danger word is named and
              the model passes the lower `word` threshold, or a danger stem is named, the text
              is not chit-chat and the model passes `possible`. The model alone never makes a
              text "urgent", and without a danger stem it needs a very high score: it learns
              the tone of emergencies ("… rồi mọi người ơi") as well as their substance;
    shield:   the calibrated to_cao probability passes `shield`, or to_cao is the category.
    """
    score = raw.urgent_score
    over = raw.danger_over if raw.danger_over is not None else np.zeros(len(score), np.bool_)
    word = raw.danger_word if raw.danger_word is not None else np.zeros(len(score), np.bool_)
    stem = raw.danger_stem if raw.danger_stem is not None else np.ones(len(score), np.bool_)
    category = raw.category_scores.argmax(axis=1)
    strict = raw.urgent_rule | (word & (score >= thresholds.urgent))
    chance = (category != KHAC) & (score >= thresholds.possible) & stem
    chance |= word & (score >= thresholds.word)
    # A very sure model outweighs the lexicon's reading of the time ("chưa về từ tối qua").
    sure = (category != KHAC) & (score >= max(thresholds.sure, thresholds.possible))
    possible = ~strict & ((~over & chance) | sure)
    shield = (raw.category_probs[:, TO_CAO] >= thresholds.shield) | (category == TO_CAO)
    if raw.accusation is not None:
        shield |= raw.accusation
    return replace(raw, urgent=strict | possible, possible=possible, shield=shield)
