"""Retraining with officers' labels: corrections matter, worse models are not promoted."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from classifier.dataset import Example, SeedSet
from classifier.evaluation import EvaluationReport, evaluate
from classifier.labels import CATEGORIES
from classifier.registry import Registry
from classifier.retrain import MACRO_F1_TOLERANCE, decide, retrain
from classifier.training import TrainingConfig, TrainingResult

CAMERA = [
    "camera an ninh ở ngã tư {} bị hỏng mấy hôm nay",
    "camera giám sát đầu {} không hoạt động, kẻ trộm lộng hành",
    "mắt camera ở cổng {} mất tín hiệu rồi ad",
]
PLACES = ["chợ", "trường", "đình", "cầu", "thôn Đông", "xóm Bãi"]


def corrections(weight: float) -> list[Example]:
    return [
        Example(template.format(place), "phan_anh", False, "an_ninh_trat_tu", "message", weight)
        for template in CAMERA
        for place in PLACES
    ]


def test_officer_corrections_change_the_predictions(
    models_dir: Path, corpus: SeedSet, small_config: TrainingConfig
) -> None:
    probe = "camera an ninh ở ngã tư bến xe bị hỏng"
    before = Registry(models_dir).load_active()
    assert before is not None
    assert before.predict([probe])[0].field != "an_ninh_trat_tu"
    result = retrain(
        models_dir, corrections(2.0), base=corpus, config=small_config, progress=False, force=True
    )
    after = Registry(models_dir).load_active()
    assert after is not None
    assert after.version == result.version != before.version
    assert after.predict([probe])[0].field == "an_ninh_trat_tu"
    assert Registry(models_dir).info(result.version).parent == before.version


def test_a_worse_model_is_refused_unless_forced(
    models_dir: Path, corpus: SeedSet, small_config: TrainingConfig
) -> None:
    registry = Registry(models_dir)
    champion = registry.active()
    # Officers "correct" every training text to the next category, with a heavy weight.
    wrong = [
        replace(ex, category=CATEGORIES[(CATEGORIES.index(ex.category) + 1) % 7], weight=3.0)
        for ex in corpus.train
    ]
    refused = retrain(models_dir, wrong, base=corpus, config=small_config, progress=False)
    assert not refused.promoted
    assert "Không kích hoạt" in refused.reason
    assert registry.active() == champion
    assert refused.version in [info.version for info in registry.list()]  # kept for inspection
    forced = retrain(
        models_dir, wrong, base=corpus, config=small_config, progress=False, force=True
    )
    assert forced.promoted
    assert registry.active() == forced.version


def test_officer_labels_for_heldout_texts_are_left_out(
    models_dir: Path, corpus: SeedSet, small_config: TrainingConfig
) -> None:
    leak = [replace(corpus.heldout[0], weight=2.0)]
    result = retrain(models_dir, leak, base=corpus, config=small_config, progress=False)
    assert result.dropped_extra == 1
    assert result.training_size == len(corpus.train)


def test_first_model_in_an_empty_directory_is_promoted(
    tmp_path: Path, corpus: SeedSet, small_config: TrainingConfig
) -> None:
    result = retrain(tmp_path, [], base=corpus, config=small_config, progress=False)
    assert result.promoted
    assert result.active_report is None
    assert Registry(tmp_path).active() == result.version


@pytest.fixture(scope="module")
def report(trained: TrainingResult, corpus: SeedSet) -> EvaluationReport:
    return evaluate(trained.classifier, corpus.heldout, "heldout")


def test_decision_tolerates_a_small_macro_f1_dip(report: EvaluationReport) -> None:
    slightly_worse = replace(report, macro_f1=report.macro_f1 - MACRO_F1_TOLERANCE / 2)
    assert decide(slightly_worse, report, force=False)[0]
    worse = replace(report, macro_f1=report.macro_f1 - 2 * MACRO_F1_TOLERANCE)
    assert not decide(worse, report, force=False)[0]
    assert decide(worse, report, force=True)[0]


def test_decision_refuses_any_drop_in_urgent_recall(report: EvaluationReport) -> None:
    champion = replace(report, urgent_recall=1.0)
    challenger = replace(report, urgent_recall=0.97, macro_f1=report.macro_f1 + 0.05)
    promote, reason = decide(challenger, champion, force=False)
    assert not promote
    assert "recall khẩn cấp" in reason
