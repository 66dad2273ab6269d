from __future__ import annotations

import logging
from pathlib import Path

import pytest

from config.schema import ConfigError, Secret
from config.settings import load, parse

MINIMAL = """
database_url: sqlite:///pakn.db
graph:
  base_url: https://graph.facebook.com
  version: v25.0
  app_secret: ${FB_APP_SECRET}
poll_interval_seconds: 60
pages:
  - id: "100000000000001"
    name: "Xã Cẩm Giàng – TP Hải Phòng"
    unit: cam-giang
    access_token: ${PAGE_TOKEN_CAMGIANG}
"""
ENV = {"FB_APP_SECRET": "s3cret", "PAGE_TOKEN_CAMGIANG": "EAAB-token-value"}


def test_the_issue_example_parses_with_tokens_read_from_the_environment() -> None:
    settings = parse(MINIMAL, env=ENV)
    page = settings.pages[0]
    assert page.access_token.reveal() == "EAAB-token-value"
    assert settings.graph.app_secret == Secret("s3cret")
    assert page.unit == "cam-giang"
    assert settings.unit_ids() == ["cam-giang"]


def test_secrets_never_show_in_repr_or_str() -> None:
    settings = parse(MINIMAL, env=ENV)
    assert "EAAB-token-value" not in repr(settings)
    assert "s3cret" not in str(settings)


def test_an_unknown_key_is_named_with_a_suggestion() -> None:
    text = MINIMAL.replace("access_token:", "acess_token:")
    with pytest.raises(ConfigError, match=r"pages\[0\]\.acess_token.*access_token"):
        parse(text, env=ENV)


def test_a_missing_environment_variable_names_the_key_and_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"pages\[0\]\.access_token.*PAGE_TOKEN_CAMGIANG"):
        parse(MINIMAL, env={"FB_APP_SECRET": "x"})


def test_a_secret_can_come_from_a_file_named_by_VAR_FILE(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("from-file\n", encoding="utf-8")
    env = {"FB_APP_SECRET": "x", "PAGE_TOKEN_CAMGIANG_FILE": str(secret)}
    assert parse(MINIMAL, env=env).pages[0].access_token.reveal() == "from-file"


def test_a_broken_yaml_line_is_reported_with_its_line_number() -> None:
    text = MINIMAL.replace("poll_interval_seconds: 60", "poll_interval_seconds: [60")
    with pytest.raises(ConfigError, match=r"dòng \d+"):
        parse(text, env=ENV)


def test_wrong_types_are_reported_with_the_key() -> None:
    with pytest.raises(ConfigError, match="poll_interval_seconds"):
        parse(MINIMAL.replace("60", "'often'"), env=ENV)


def test_an_unquoted_numeric_page_id_is_accepted_as_text() -> None:
    settings = parse(MINIMAL.replace('"100000000000001"', "100000000000001"), env=ENV)
    assert settings.pages[0].id == "100000000000001"


def test_duplicate_pages_and_empty_tokens_are_refused() -> None:
    doubled = MINIMAL + MINIMAL.split("pages:\n", 1)[1]
    with pytest.raises(ConfigError, match="hai lần"):
        parse(doubled, env=ENV)
    with pytest.raises(ConfigError, match="access_token"):
        parse(MINIMAL, env={**ENV, "PAGE_TOKEN_CAMGIANG": ""})


def test_environment_overrides_win_over_the_file() -> None:
    env = {
        **ENV,
        "PAKN_DATABASE_URL": "postgresql+psycopg://x@h/db",
        "PAKN_GRAPH_URL": "http://127.0.0.1:9",
    }
    settings = parse(MINIMAL, env=env)
    assert settings.database_url == "postgresql+psycopg://x@h/db"
    assert settings.graph.base_url == "http://127.0.0.1:9"


def test_PAKN_CONFIG_names_the_file_and_a_missing_file_says_how_to_create_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "pakn.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    assert load(env={**ENV, "PAKN_CONFIG": str(path)}).pages[0].name.startswith("Xã Cẩm Giàng")
    with pytest.raises(ConfigError, match="pakn config init"):
        load(env={"PAKN_CONFIG": str(tmp_path / "missing.yaml")})


def test_the_example_config_parses_and_documents_every_setting(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from config.settings import example_config_text

    text = example_config_text()
    env = {
        name: "x"
        for name in (
            "FB_APP_SECRET",
            "PAKN_SECRET_KEY",
            "PAGE_TOKEN_CAMGIANG",
            "PAGE_TOKEN_CAMGIANG_2",
            "PAGE_TOKEN_AIQUOC",
            "PAKN_SMTP_URL",
            "PAKN_TELEGRAM_URL",
        )
    }
    with caplog.at_level(logging.WARNING):
        settings = parse(text, env=env)
    assert len(settings.pages) == 3


def test_the_example_config_runs_without_an_app_secret_as_its_comment_promises() -> None:
    from config.settings import example_config_text

    env = {
        name: "x"
        for name in (
            "PAKN_SECRET_KEY",
            "PAGE_TOKEN_CAMGIANG",
            "PAGE_TOKEN_CAMGIANG_2",
            "PAGE_TOKEN_AIQUOC",
            "PAKN_SMTP_URL",
            "PAKN_TELEGRAM_URL",
        )
    }
    settings = parse(example_config_text(), env=env)
    assert not settings.graph.app_secret
