"""Retraining with officers' labels: champion/challenger on the seed heldout split."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]

from classifier.dataset import Example, SeedSet, load_seed, training_hash
from classifier.errors import ArtefactError
from classifier.evaluation import EvaluationReport, evaluate, evaluate_raw
from classifier.normalize import normalize
from classifier.registry import Registry
from classifier.training import DEFAULT_CONFIG, TrainingConfig, TrainingResult, fold_count, train

# A challenger may lose this much heldout macro-F1 (noise of a few hundred examples) and win.
MACRO_F1_TOLERANCE: Final = 0.01
# "Not worse" is judged on what matters to the committee, one measure at a time: a model that
# keeps its macro-F1 but loses one category (officers' relabelling en masse), pages the duty
# officer for nothing more often, or lets a denunciation through unmasked is worse.
CLASS_F1_TOLERANCE: Final = 0.03
URGENT_PRECISION_TOLERANCE: Final = 0.02
log = logging.getLogger("pakn.classifier")


@dataclass(frozen=True, slots=True)
class RetrainResult:
    version: str  # the new version; saved even when not promoted, for inspection
    promoted: bool
    reason: str
    new_report: EvaluationReport
    active_report: EvaluationReport | None
    previous_version: str | None
    training_size: int
    dropped_extra: int  # officers' examples left out because their text is in the heldout split


def retrain(
    models_dir: Path | str,
    extra: Sequence[Example],
    *,
    force: bool = False,
    seed: int = 0,
    progress: bool = True,
    base: SeedSet | None = None,
    config: TrainingConfig = DEFAULT_CONFIG,
) -> RetrainResult:
    """Train on the seed train split plus `extra` (weights set by the caller), compare with the
    active model on the same heldout split, and promote only if it is not worse (or `force`)."""
    base = base if base is not None else load_seed()
    heldout_texts = {normalize(ex.text) for ex in base.heldout}
    # An officer's label for a heldout text would leak the answer into the comparison.
    kept = [ex for ex in extra if normalize(ex.text) not in heldout_texts]
    examples = [*base.train, *kept]
    result, new_report = _train(examples, base, config, seed=seed, progress=progress)
    registry = Registry(models_dir)
    with registry.locked():  # nobody promotes between the comparison and the decision
        previous, active_report = _active_report(registry, base)
        promoted, reason = decide(new_report, active_report, force=force)
        metrics: dict[str, Any] = {"heldout": new_report.summary()}
        if result.cv_predictions is not None:
            metrics["cv"] = evaluate_raw(examples, result.cv_predictions, "cv-train").summary()
        version = registry.save(
            result.classifier,
            metrics,
            training_hash=training_hash(examples),
            training_size=len(examples),
            seed=seed,
            parent=previous,
            note=reason,
        )
        if promoted:
            registry.promote(version)
    return RetrainResult(
        version=version,
        promoted=promoted,
        reason=reason,
        new_report=new_report,
        active_report=active_report,
        previous_version=previous,
        training_size=len(examples),
        dropped_extra=len(extra) - len(kept),
    )


def _train(
    examples: list[Example], base: SeedSet, config: TrainingConfig, *, seed: int, progress: bool
) -> tuple[TrainingResult, EvaluationReport]:
    """Train with a progress bar on stderr, then evaluate on the heldout split."""
    total = fold_count(examples, config) + 2
    with tqdm(total=total, desc="Huấn luyện", file=sys.stderr, disable=not progress) as bar:

        def step(label: str) -> None:
            bar.set_postfix_str(label)
            bar.update()

        result = train(examples, config, seed=seed, step=step)
        report = evaluate(result.classifier, base.heldout, "heldout")
        step("đánh giá")
    return result, report


def _active_report(registry: Registry, base: SeedSet) -> tuple[str | None, EvaluationReport | None]:
    version = registry.active()
    if version is None:
        return None, None
    try:
        active = registry.load(version)
    except ArtefactError as exc:
        log.warning("Không nạp được mô hình đang dùng %s: %s", version, exc)
        return version, None
    return version, evaluate(active, base.heldout, "heldout")


def _class_drops(new: EvaluationReport, active: EvaluationReport) -> list[str]:
    drops = []
    for label, old in active.per_class.items():
        now = new.per_class.get(label)
        if now is None or old.support == 0:
            continue
        if label == "to_cao" and now.recall < old.recall:
            drops.append(f"recall tố cáo giảm từ {old.recall:.3f} xuống {now.recall:.3f}")
        elif now.f1 < old.f1 - CLASS_F1_TOLERANCE:
            drops.append(f"F1 của nhãn {label} giảm từ {old.f1:.3f} xuống {now.f1:.3f}")
    return drops


def decide(
    new: EvaluationReport, active: EvaluationReport | None, *, force: bool
) -> tuple[bool, str]:
    """Champion/challenger rule; returns (promote?, reason in Vietnamese)."""
    if active is None:
        return True, "Kích hoạt: chưa có mô hình đang dùng nạp được để so sánh."
    problems = []
    if new.macro_f1 < active.macro_f1 - MACRO_F1_TOLERANCE:
        problems.append(f"macro-F1 giảm từ {active.macro_f1:.3f} xuống {new.macro_f1:.3f}")
    if new.urgent_recall < active.urgent_recall:
        problems.append(
            f"recall khẩn cấp giảm từ {active.urgent_recall:.3f} xuống {new.urgent_recall:.3f}"
        )
    if new.urgent_precision < active.urgent_precision - URGENT_PRECISION_TOLERANCE:
        problems.append(
            f"độ chính xác khẩn cấp giảm từ {active.urgent_precision:.3f} xuống "
            f"{new.urgent_precision:.3f} (báo động nhầm nhiều hơn)"
        )
    problems += _class_drops(new, active)
    comparison = (
        f"macro-F1 {new.macro_f1:.3f} (đang dùng {active.macro_f1:.3f}), "
        f"recall khẩn cấp {new.urgent_recall:.3f} (đang dùng {active.urgent_recall:.3f})"
    )
    if not problems:
        return True, f"Kích hoạt: không kém mô hình đang dùng; {comparison}."
    if force:
        return True, f"Kích hoạt theo yêu cầu (--force) dù {'; '.join(problems)}."
    return False, (
        f"Không kích hoạt: {'; '.join(problems)}. Kiểm tra lại các nhãn vừa sửa, hoặc dùng "
        "--force / `pakn model promote` nếu vẫn muốn dùng mô hình mới."
    )
