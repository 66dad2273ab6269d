"""Quality of a model on labelled examples: per-class scores, urgency, fields, calibration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from classifier.dataset import Example
from classifier.labels import CATEGORIES, FIELDS
from classifier.model import Classifier, RawPredictions
from classifier.training import label_indices

CALIBRATION_BINS = 10
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class ClassScores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class Calibration:
    """Confidence against accuracy for the items predicted as one class (or all items)."""

    count: int
    mean_confidence: float
    accuracy: float
    ece: float  # expected calibration error over equal-width confidence bins


@dataclass(frozen=True, slots=True)
class EvaluationReport:
    name: str
    size: int
    accuracy: float
    macro_f1: float
    per_class: dict[str, ClassScores]
    confusion: list[list[int]]  # rows: true category, columns: predicted, CATEGORIES order
    urgent_recall: float
    urgent_precision: float
    urgent_support: int
    field_accuracy: float
    field_macro_f1: float
    calibration: Calibration
    calibration_per_class: dict[str, Calibration]

    def summary(self) -> dict[str, Any]:
        """JSON-ready form (model sidecars store it)."""
        return asdict(self)


def evaluate(classifier: Classifier, examples: Sequence[Example], name: str) -> EvaluationReport:
    return evaluate_raw(examples, classifier.predict_raw([ex.text for ex in examples]), name)


def evaluate_raw(examples: Sequence[Example], raw: RawPredictions, name: str) -> EvaluationReport:
    labels = label_indices(examples)
    y_true, y_pred = labels["category"], raw.category_scores.argmax(axis=1)
    confidence = raw.category_probs[np.arange(len(y_pred)), y_pred]
    correct = y_pred == y_true
    return EvaluationReport(
        name=name,
        size=len(examples),
        accuracy=_mean(correct),
        **_category_scores(y_true, y_pred),
        **_urgent_scores(labels["urgent"].astype(bool), raw.urgent),
        **_field_scores(labels["field"], raw.field_probs.argmax(axis=1)),
        calibration=calibration(confidence, correct),
        calibration_per_class={
            label: calibration(confidence[y_pred == i], correct[y_pred == i])
            for i, label in enumerate(CATEGORIES)
        },
    )


def _category_scores(y_true: IntArray, y_pred: IntArray) -> dict[str, Any]:
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=range(len(CATEGORIES)), zero_division=0
    )
    present = support > 0  # macro-F1 over the categories the examples contain
    return {
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "per_class": {
            label: ClassScores(float(precision[i]), float(recall[i]), float(f1[i]), int(support[i]))
            for i, label in enumerate(CATEGORIES)
        },
        "confusion": confusion_matrix(y_true, y_pred, labels=range(len(CATEGORIES))).tolist(),
    }


def _urgent_scores(
    truth: npt.NDArray[np.bool_], predicted: npt.NDArray[np.bool_]
) -> dict[str, Any]:
    hits = int((truth & predicted).sum())
    return {
        "urgent_recall": hits / max(1, int(truth.sum())),
        "urgent_precision": hits / max(1, int(predicted.sum())),
        "urgent_support": int(truth.sum()),
    }


def _field_scores(y_true: IntArray, y_pred: IntArray) -> dict[str, Any]:
    f1 = precision_recall_fscore_support(
        y_true, y_pred, labels=range(len(FIELDS)), zero_division=0
    )[2]
    present = np.bincount(y_true, minlength=len(FIELDS)) > 0
    return {
        "field_accuracy": _mean(y_pred == y_true),
        "field_macro_f1": float(f1[present].mean()) if present.any() else 0.0,
    }


def _mean(values: npt.NDArray[np.bool_]) -> float:
    return float(values.mean()) if len(values) else 0.0


def calibration(confidence: npt.NDArray[np.float64], correct: npt.NDArray[np.bool_]) -> Calibration:
    if len(confidence) == 0:
        return Calibration(0, 0.0, 0.0, 0.0)
    bins = np.minimum((confidence * CALIBRATION_BINS).astype(np.int64), CALIBRATION_BINS - 1)
    gap = 0.0
    for b in np.unique(bins):
        members = bins == b
        gap += abs(correct[members].mean() - confidence[members].mean()) * members.sum()
    return Calibration(
        count=len(confidence),
        mean_confidence=float(confidence.mean()),
        accuracy=float(correct.mean()),
        ece=float(gap / len(confidence)),
    )


def format_report(report: EvaluationReport) -> str:
    """Plain-text report (Vietnamese headings, label codes as in the labeling guide)."""
    lines = [
        f"== Đánh giá: {report.name} ({report.size} mẫu) ==",
        f"Độ chính xác loại: {report.accuracy:.3f}   Macro-F1 loại: {report.macro_f1:.3f}",
        f"Khẩn cấp: recall {report.urgent_recall:.3f}, precision {report.urgent_precision:.3f}"
        f" ({report.urgent_support} mẫu khẩn)",
        f"Lĩnh vực: độ chính xác {report.field_accuracy:.3f}, macro-F1 {report.field_macro_f1:.3f}",
        "",
        f"{'loại':<10} {'precision':>9} {'recall':>7} {'F1':>6} {'số mẫu':>7}"
        f" {'tin cậy TB':>10} {'đúng':>6} {'ECE':>6}",
    ]
    for label in CATEGORIES:
        s, c = report.per_class[label], report.calibration_per_class[label]
        lines.append(
            f"{label:<10} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>6.3f} {s.support:>7d}"
            f" {c.mean_confidence:>10.3f} {c.accuracy:>6.3f} {c.ece:>6.3f}"
        )
    overall = report.calibration
    lines += [
        f"Hiệu chỉnh độ tin cậy (tổng): tin cậy TB {overall.mean_confidence:.3f},"
        f" đúng {overall.accuracy:.3f}, ECE {overall.ece:.3f}",
        "",
        "Ma trận nhầm lẫn (hàng: nhãn đúng, cột: dự đoán):",
        " " * 10 + "".join(f"{label[:9]:>10}" for label in CATEGORIES),
    ]
    for label, row in zip(CATEGORIES, report.confusion, strict=True):
        lines.append(f"{label:<10}" + "".join(f"{n:>10d}" for n in row))
    return "\n".join(lines)


def write_confusion_png(report: EvaluationReport, path: Path) -> None:
    """Confusion matrix as a PNG (Agg canvas: no display, no global backend switch)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.5, 6.5), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    matrix = np.asarray(report.confusion)
    axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(CATEGORIES)), CATEGORIES, rotation=45, ha="right")
    axes.set_yticks(range(len(CATEGORIES)), CATEGORIES)
    axes.set_xlabel("Dự đoán")
    axes.set_ylabel("Nhãn đúng")
    axes.set_title(f"Ma trận nhầm lẫn: {report.name} (macro-F1 {report.macro_f1:.3f})")
    limit = matrix.max() / 2 if matrix.size else 0
    for (row, col), count in np.ndenumerate(matrix):
        color = "white" if count > limit else "black"
        axes.text(col, row, str(count), ha="center", va="center", color=color, fontsize=9)
    figure.tight_layout()
    figure.savefig(path)
