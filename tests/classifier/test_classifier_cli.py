"""The classifier's commands through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from classifier.labels import CATEGORIES, FIELDS
from classifier.registry import Registry
from classifier.training import TrainingResult
from cli.classifier import (
    classify_command,
    default_models_dir,
    evaluate_command,
    model_group,
)


def outputs(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def assert_prediction(record: dict[str, object], version: str) -> None:
    assert record["category"] in CATEGORIES
    assert record["field"] in FIELDS
    assert isinstance(record["urgent"], bool)
    assert isinstance(record["confidence"], float)
    assert 0.0 <= record["confidence"] <= 1.0
    assert record["model_version"] == version


def test_classify_plain_lines_gives_one_json_object_per_line(models_dir: Path) -> None:
    version = Registry(models_dir).active()
    assert version is not None
    lines = "cho em hỏi làm giấy khai sinh ở đâu ạ\n\nđường ngập quá ad ơi 😡\n"
    result = CliRunner().invoke(classify_command, ["--models-dir", str(models_dir)], input=lines)
    assert result.exit_code == 0, result.output
    records = outputs(result.stdout)
    assert len(records) == 3
    for record in records:
        assert "id" not in record
        assert_prediction(record, version)
    assert records[0]["category"] == "hoi_dap"


def test_classify_json_lines_keeps_ids_and_reports_a_bad_line_without_stopping(
    models_dir: Path, tmp_path: Path
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"id": 17, "text": "cho hỏi bộ phận một cửa làm việc thứ bảy không"}\n'
        '{"id": 18, "text": "thiếu ngoặc"\n'
        '{"id": "a-19"}\n'
        '{"text": "hay quá 😍"}\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(classify_command, [str(source), "--models-dir", str(models_dir)])
    assert result.exit_code == 0
    first, bad_json, no_text, last = outputs(result.stdout)
    assert first["id"] == 17
    assert_prediction(first, str(Registry(models_dir).active()))
    assert bad_json["line"] == 2 and "JSON" in str(bad_json["error"])
    assert no_text["line"] == 3 and "text" in str(no_text["error"])
    assert "id" not in last and last["category"] in CATEGORIES
    assert "Dòng 2" in result.stderr and "Dòng 3" in result.stderr


def test_model_commands_list_promote_and_roll_back(
    models_dir: Path, trained: TrainingResult
) -> None:
    registry = Registry(models_dir)
    first = registry.active()
    second = registry.save(
        trained.classifier, {}, training_hash="x", training_size=1, seed=0, note="bản hai"
    )
    runner = CliRunner()
    args = ["--models-dir", str(models_dir)]
    listing = runner.invoke(model_group, ["list", *args])
    assert f"* {first}" in listing.stdout and f"  {second}" in listing.stdout
    assert runner.invoke(model_group, ["promote", second, *args]).exit_code == 0
    assert registry.active() == second
    rolled = runner.invoke(model_group, ["rollback", *args])
    assert rolled.exit_code == 0 and first is not None and first in rolled.stdout
    assert registry.active() == first
    again = runner.invoke(model_group, ["rollback", *args])
    assert again.exit_code != 0
    assert "Không có phiên bản trước" in again.stderr


def test_promoting_an_unknown_version_fails_with_a_hint(models_dir: Path) -> None:
    result = CliRunner().invoke(
        model_group, ["promote", "0999-20240101", "--models-dir", str(models_dir)]
    )
    assert result.exit_code != 0
    assert "pakn model list" in result.stderr


def test_evaluate_prints_the_report_and_writes_the_confusion_png(
    models_dir: Path, tmp_path: Path
) -> None:
    png = tmp_path / "confusion.png"
    result = CliRunner().invoke(
        evaluate_command, ["--models-dir", str(models_dir), "--png", str(png), "--no-cv"]
    )
    assert result.exit_code == 0, result.output
    assert "Macro-F1" in result.stdout and "Ma trận nhầm lẫn" in result.stdout
    assert png.read_bytes().startswith(b"\x89PNG")


def test_default_models_dir_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PAKN_MODELS_DIR", str(tmp_path / "m"))
    assert default_models_dir() == tmp_path / "m"
    monkeypatch.delenv("PAKN_MODELS_DIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_models_dir() == tmp_path / ".local" / "share" / "pakn" / "models"
