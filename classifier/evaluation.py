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


@dataclass(frozen=True, slots=True)
class RegisterScores:
    """The figures of one register test set (see classifier.dataset.load_registers)."""

    name: str
    size: int
    macro_f1: float
    accuracy: float
    field_accuracy: float
    urgent_support: int
    alert_recall: float  # urgent texts given "urgent" or "possible" (the duty officer hears)
    alert_precision: float
    urgent_recall: float  # urgent texts given "urgent" itself
    to_cao_support: int
    shield_recall: float  # to_cao texts masked (shield) at the fitted threshold
    shield_rate: float  # texts of other categories masked as suspected to_cao
    false_alert_rate: float  # non-urgent texts given "urgent" or "possible"
    false_urgent_rate: float  # non-urgent texts given "urgent"
    false_to_cao_rate: float  # non-to_cao texts whose category is to_cao


def register_scores(examples: Sequence[Example], raw: RawPredictions, name: str) -> RegisterScores:
    labels = label_indices(examples)
    y_true, y_pred = labels["category"], raw.category_scores.argmax(axis=1)
    urgent = labels["urgent"].astype(bool)
    to_cao = y_true == CATEGORIES.index("to_cao")
    alert = raw.urgent
    strict = alert & ~raw.possible if raw.possible is not None else alert
    shield = raw.shield if raw.shield is not None else y_pred == CATEGORIES.index("to_cao")
    scores = _category_scores(y_true, y_pred)
    return RegisterScores(
        name=name,
        size=len(examples),
        macro_f1=scores["macro_f1"],
        accuracy=_mean(y_pred == y_true),
        field_accuracy=_mean(raw.field_probs.argmax(axis=1) == labels["field"]),
        urgent_support=int(urgent.sum()),
        alert_recall=_ratio(alert & urgent, urgent),
        alert_precision=_ratio(alert & urgent, alert),
        urgent_recall=_ratio(strict & urgent, urgent),
        to_cao_support=int(to_cao.sum()),
        shield_recall=_ratio(shield & to_cao, to_cao),
        shield_rate=_ratio(shield & ~to_cao, ~to_cao),
        false_alert_rate=_ratio(alert & ~urgent, ~urgent),
        false_urgent_rate=_ratio(strict & ~urgent, ~urgent),
        false_to_cao_rate=_ratio((y_pred == CATEGORIES.index("to_cao")) & ~to_cao, ~to_cao),
    )


def _ratio(hits: npt.NDArray[np.bool_], of: npt.NDArray[np.bool_]) -> float:
    total = int(of.sum())
    return int(hits.sum()) / total if total else float("nan")


def format_registers(rows: Sequence[RegisterScores]) -> str:
    """One line per register; "-" where a register has no urgent or no to_cao text."""

    def cell(value: float, width: int) -> str:
        return f"{'-':>{width}}" if value != value else f"{value:>{width}.3f}"  # NaN: none

    lines = [
        "== Theo dạng văn bản (tệp kiểm tra classifier/data/eval, không dùng để huấn luyện) ==",
        f"{'dạng':<17} {'mẫu':>4} {'macro-F1':>8} {'lĩnh vực':>8} {'báo trực':>8}"
        f" {'chính xác':>9} {'khẩn':>6} {'che TC':>6} {'che nhầm':>8} {'báo nhầm':>8}"
        f" {'TC nhầm':>7}",
    ]
    for r in rows:
        lines.append(
            f"{r.name:<17} {r.size:>4} {r.macro_f1:>8.3f} {r.field_accuracy:>8.3f}"
            f" {cell(r.alert_recall, 8)} {cell(r.alert_precision, 9)} {cell(r.urgent_recall, 6)}"
            f" {cell(r.shield_recall, 6)} {cell(r.shield_rate, 8)} {cell(r.false_alert_rate, 8)}"
            f" {cell(r.false_to_cao_rate, 7)}"
        )
    lines += [
        'báo trực: recall khẩn cấp (mức "urgent" hoặc "possible", đều báo cán bộ trực);'
        " chính xác: precision của nó;",
        'khẩn: recall của riêng mức "urgent"; che TC: recall tố cáo ở ngưỡng che;'
        " che nhầm: tỉ lệ mục không phải tố cáo bị che;",
        "báo nhầm: tỉ lệ mục không khẩn bị báo trực; TC nhầm: tỉ lệ mục bị gán nhầm tố cáo.",
    ]
    return "\n".join(lines)


def write_calibration_png(
    reports: Sequence[tuple[str, RawPredictions, IntArray]], path: Path
) -> None:
    """Reliability diagram: accuracy against confidence per confidence bin, one line per set."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.0, 6.0), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="hiệu chỉnh hoàn hảo")
    edges = np.linspace(0.0, 1.0, CALIBRATION_BINS + 1)
    for name, raw, y_true in reports:
        y_pred = raw.category_scores.argmax(axis=1)
        confidence = raw.category_probs[np.arange(len(y_pred)), y_pred]
        bins = np.minimum((confidence * CALIBRATION_BINS).astype(np.int64), CALIBRATION_BINS - 1)
        xs, ys = [], []
        for b in np.unique(bins):
            members = bins == b
            xs.append(float(confidence[members].mean()))
            ys.append(float((y_pred[members] == y_true[members]).mean()))
        axes.plot(xs, ys, marker="o", label=name)
    axes.set_xticks(edges[::2])
    axes.set_xlabel("Độ tin cậy của mô hình")
    axes.set_ylabel("Tỉ lệ đúng")
    axes.set_title("Độ tin cậy và tỉ lệ đúng (theo dạng văn bản)")
    axes.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path)
