"""Docs that tests check: the README's settings table, the example config, the two commands."""

from __future__ import annotations

import dataclasses
import re
import typing
from pathlib import Path
from typing import Any

import yaml

from config.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def setting_paths(cls: Any, prefix: str = "") -> set[str]:
    """Every user-facing setting as the README spells it (``pages[].id``)."""
    paths: set[str] = set()
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.metadata.get("internal"):
            continue
        tp = hints[f.name]
        args = typing.get_args(tp)
        if dataclasses.is_dataclass(tp):
            paths |= setting_paths(tp, f"{prefix}{f.name}.")
        elif typing.get_origin(tp) is list and args and dataclasses.is_dataclass(args[0]):
            paths |= setting_paths(args[0], f"{prefix}{f.name}[].")
        else:
            paths.add(prefix + f.name)
    return paths


def readme_table() -> set[str]:
    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE))


def example_paths(node: Any, prefix: str = "") -> set[str]:
    paths: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{prefix}{key}"
            if isinstance(value, dict) and key not in ("routing", "unit_targets"):
                paths |= example_paths(value, path + ".")
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                paths |= example_paths(value[0], path + "[].")
            else:
                paths.add(path)
    return paths


def test_the_readme_documents_every_setting_and_nothing_else() -> None:
    assert readme_table() == setting_paths(Settings)


def test_the_example_config_shows_every_setting() -> None:
    example = yaml.safe_load((ROOT / "config" / "example.yaml").read_text(encoding="utf-8"))
    assert example_paths(example) == setting_paths(Settings)


def readme_commands() -> list[str]:
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", quick)


def test_the_readme_quick_start_has_the_two_newcomer_commands() -> None:
    demo, tests = readme_commands()
    assert demo.endswith("pakn demo")
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    _demo, tests = readme_commands()
    assert tests in ci
