"""The services the composition root hands to the daemon and the web."""

from __future__ import annotations

import shutil
from pathlib import Path

from classifier.registry import Registry
from cli.services import LazyClassifier
from config.settings import Settings, parse


def _settings(models: Path) -> Settings:
    return parse(f'classifier: {{models_dir: "{models}"}}', env={})


def test_a_running_process_follows_a_promoted_model_and_a_rollback(
    trained_models: Path, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    shutil.copytree(trained_models, models)
    registry = Registry(models)
    first = registry.active()
    assert first is not None
    ticks = [0.0]
    classify = LazyClassifier(
        _settings(models),
        check_every=60,
        monotonic=lambda: ticks[0],
    )
    assert classify(["Đường thôn Đông ngập sâu"])[0].model_version == first

    second = registry.save(registry.load(first), {}, training_hash="x", training_size=1, seed=1)
    registry.promote(second)
    ticks[0] = 30  # before the next look at the pointer: still the loaded model
    assert classify(["Đường thôn Đông ngập sâu"])[0].model_version == first
    ticks[0] = 61
    assert classify(["Đường thôn Đông ngập sâu"])[0].model_version == second

    assert registry.rollback() == first
    ticks[0] = 122
    assert classify(["Đường thôn Đông ngập sâu"])[0].model_version == first


def test_a_broken_promoted_model_keeps_the_loaded_one_working(
    trained_models: Path, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    shutil.copytree(trained_models, models)
    first = Registry(models).active()
    classify = LazyClassifier(_settings(models), check_every=0)
    classify(["mất điện"])
    (models / "active").write_text("9999-20990101\n", encoding="utf-8")  # no such version
    assert classify(["mất điện"])[0].model_version == first
