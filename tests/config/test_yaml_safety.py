"""The configuration loader against hostile or mistyped files: alias bombs, huge files, deep
nesting, and errors that would quote a secret."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from config.schema import ConfigError, shown
from config.settings import MAX_CONFIG_BYTES, load, parse

TOKEN = "EAABsbCS1iHgBAOZCZB9ZAvZCn2sLZAxDbqcQ2ZCrZBvZAB5qZAYtZBeZAQ7dH"
BILLION_LAUGHS = """
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def failure(text: str, **env: str) -> str:
    with pytest.raises(ConfigError) as err:
        parse(text, env=env)
    return str(err.value)


def test_a_billion_laughs_file_is_refused_at_its_first_alias_without_expanding() -> None:
    started = time.perf_counter()
    message = failure(BILLION_LAUGHS)
    assert time.perf_counter() - started < 1.0
    assert "dòng 3" in message and "*a" in message and "alias" in message


def test_a_merge_key_is_refused_too_since_it_is_an_alias() -> None:
    text = "graph: &g {version: v25.0}\nweb:\n  <<: *g\n"
    assert "*g" in failure(text)


def test_an_anchor_without_alias_is_harmless_and_accepted() -> None:
    assert parse("poll_interval_seconds: &p 60\n", env={}).poll_interval_seconds == 60


def test_a_file_over_one_megabyte_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    big = "#" + "x" * MAX_CONFIG_BYTES + "\n"
    assert "1024 KB" in failure(big)
    path = tmp_path / "pakn.yaml"
    path.write_text(big, encoding="utf-8")
    with pytest.raises(ConfigError, match="1024 KB"):
        load(path, env={})


def test_deep_nesting_is_refused_with_a_message_not_a_recursion_error() -> None:
    assert "lồng sâu" in failure("units: " + "[" * 5000 + "]" * 5000 + "\n")


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (f"graph:\n  app_secret: {{value: {TOKEN}}}\n", "graph.app_secret"),
        ("graph:\n  app_secret: 123456789012345678\n", "graph.app_secret"),
        (f"web:\n  secret_key: [{TOKEN}]\n", "web.secret_key"),
        (
            f"pages:\n  - {{id: '1', name: P, unit: a, access_token: [{TOKEN}]}}\n",
            "pages[0].access_token",
        ),
        (f"pages:\n  access_token: {TOKEN}\n", "pages"),
        (f"pages:\n  - {TOKEN}\n", "pages[0]"),
        (f"pages:\n  - {{id: {TOKEN}, name: P, unit: a, access_token: x}}\n", "pages[0].id"),
        (f"graph:\n  version: {TOKEN}\n", "graph.version"),
        (f"web:\n  default_language: {TOKEN}\n", "web.default_language"),
    ],
)
def test_a_mistyped_secret_is_never_quoted_in_the_error(text: str, where: str) -> None:
    message = failure(text)
    assert where in message
    assert TOKEN not in message and "123456789012345678" not in message
    assert "EAAB" not in message


def test_a_urls_credentials_are_masked_in_the_error() -> None:
    message = failure(
        "alerts:\n  admin_targets:\n    - url: mailtos://an:mat-khau-rieng@smtp.example.org\n"
        "      events: [urgentt]\n"
        "database_url: postgresql://pakn:mat-khau-db@db.example/pakn\n"
    )
    assert "alerts.admin_targets[0].events" in message
    assert "mat-khau" not in message
    wrong_type = failure("database_url: [postgresql://pakn:mat-khau-db@db.example/pakn]\n")
    assert "database_url" in wrong_type and "mat-khau-db" not in wrong_type


def test_a_value_from_the_environment_is_not_quoted_wherever_it_landed() -> None:
    text = "pages:\n  - {id: '${PAGE_TOKEN}', name: P, unit: a, access_token: '${PAGE_ID}'}\n"
    message = failure(text, PAGE_TOKEN="tok-khong-phai-dang-EAA", PAGE_ID="100000000000001")
    assert "pages[0].id" in message and "tok-khong-phai" not in message


def test_what_an_error_shows_of_a_value_depends_on_its_key() -> None:
    assert shown(12, "poll_interval_seconds") == "12"
    assert shown("s3cr3t-value", "graph.app_secret") == (
        "một chuỗi (giá trị được ẩn vì là thông tin bí mật)"
    )
    assert shown({"a": 1}, "web") == "một bảng khoá (mapping)"
    assert shown("https://u:p@host/x", "web.public_url") == "'https://***@host/x'"
