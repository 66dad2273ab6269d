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
from classifier.urgency import danger_rule_tokens

UNSAVED_VERSION: Final = "unsaved"
FloatMatrix = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, kw_only=True)
class Prediction:
    """What the classifier says about one text (labels as in classifier.labels)."""

    category: str
    urgent: bool
    field: str
    # Calibrated probability that `category` is right (temperature-scaled on CV predictions).
    confidence: float
    category_probs: Mapping[str, float] | None = dataclass_field(default=None, hash=False)
    model_version: str


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


@dataclass(frozen=True, slots=True)
class RawPredictions:
    """Array form of a batch of predictions (evaluation and calibration work on these)."""

    category_scores: FloatMatrix  # uncalibrated probabilities, CATEGORIES order: the argmax
    category_probs: FloatMatrix  # calibrated probabilities, CATEGORIES order
    urgent_score: npt.NDArray[np.float64]
    urgent_rule: npt.NDArray[np.bool_]
    urgent: npt.NDArray[np.bool_]
    field_probs: FloatMatrix


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

    def with_calibration(self, temperature: float, urgent_threshold: float) -> Classifier:
        parts = replace(self.parts, temperature=temperature, urgent_threshold=urgent_threshold)
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
        urgent_score = full_proba(parts.urgent, matrix, 2)[:, 1]
        rule = np.fromiter(
            map(danger_rule_tokens, docs, stripped, normalized), dtype=np.bool_, count=len(docs)
        )
        return RawPredictions(
            category_scores=scores,
            category_probs=temperature_scale(scores, parts.temperature),
            urgent_score=urgent_score,
            urgent_rule=rule,
            urgent=rule | (urgent_score >= parts.urgent_threshold),
            field_probs=full_proba(parts.field, matrix, len(FIELDS)),
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
        version = self._version
        return [
            Prediction(
                category=CATEGORIES[c],
                urgent=u,
                field=FIELDS[f],
                confidence=p,
                category_probs=cp,
                model_version=version,
            )
            for c, u, f, p, cp in zip(
                category.tolist(), raw.urgent.tolist(), field_index, confidence, probs, strict=True
            )
        ]
