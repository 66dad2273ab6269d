"""Small things a newcomer meets before anything works: no file, unset secrets, no database."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from classifier.registry import Registry
from cli.main import main


@pytest.fixture
def empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PAKN_CONFIG", raising=False)
    return tmp_path


def test_config_check_without_any_configuration_file_says_how_to_create_one(
    empty_folder: Path,
) -> None:
    result = CliRunner().invoke(main, ["config", "check"])
    assert result.exit_code != 0
    assert "pakn config init" in result.output
    assert "hợp lệ" not in result.output


def test_pages_without_a_database_leaves_no_empty_database_file_behind(
    empty_folder: Path,
) -> None:
    result = CliRunner().invoke(main, ["pages"])
    assert result.exit_code != 0
    assert "pakn db upgrade" in result.output
    assert not list(empty_folder.iterdir())


def test_config_check_names_every_unset_environment_variable_at_once(tmp_path: Path) -> None:
    path = tmp_path / "pakn.yaml"
    path.write_text(
        'graph: {app_secret: "${FB_APP_SECRET}"}\n'
        'pages:\n  - {id: "1", name: "Xã A", unit: a, access_token: "${PAGE_TOKEN_A}"}\n'
        '  - {id: "2", name: "Xã B", unit: b, access_token: "${PAGE_TOKEN_B}"}\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FB_", "PAGE_TOKEN"))}
    result = CliRunner().invoke(main, ["--config", str(path), "config", "check"], env=env)
    assert result.exit_code != 0
    for name in ("FB_APP_SECRET", "PAGE_TOKEN_A", "PAGE_TOKEN_B"):
        assert f"${{{name}}}" in result.output


def test_classify_works_when_the_configuration_misses_an_unrelated_facebook_secret(
    empty_folder: Path, trained_models: Path
) -> None:
    (empty_folder / "pakn.yaml").write_text(
        f'graph: {{app_secret: "${{FB_APP_SECRET_UNSET}}"}}\n'
        f'classifier: {{models_dir: "{trained_models}"}}\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["classify", "-"], input="mất điện cả thôn từ sáng\n")
    assert result.exit_code == 0, result.output
    line = next(json.loads(x) for x in result.output.splitlines() if x.startswith("{"))
    assert line["model_version"] == Registry(trained_models).active()
