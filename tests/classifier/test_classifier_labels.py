"""The label set in code is exactly the one the labeling guide specifies."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from classifier.labels import CATEGORIES, CATEGORY_NAMES, DEFAULT_DEPARTMENT, FIELD_NAMES, FIELDS

GUIDE = Path(__file__).resolve().parents[3] / "shared" / "labeling-guide.md"


def guide_tables() -> dict[str, list[list[str]]]:
    """Markdown tables of the guide keyed by their header line (cells stripped of backticks)."""
    if not GUIDE.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"The labeling guide must be present in CI: {GUIDE}")
        pytest.skip(f"labeling guide not found at {GUIDE} (checked out without /work/shared)")
    tables: dict[str, list[list[str]]] = {}
    header = None
    for line in GUIDE.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        if header is None:
            header = " | ".join(cells)
            tables[header] = []
        elif not set("".join(cells)) <= set("-: "):
            tables[header].append(cells)
    return tables


def table(starting_with: str) -> list[list[str]]:
    matches = [rows for header, rows in guide_tables().items() if header.startswith(starting_with)]
    assert len(matches) == 1, f"expected one table whose header starts with {starting_with!r}"
    return matches[0]


def test_categories_and_their_vietnamese_names_match_the_guide_in_precedence_order() -> None:
    rows = table("label | Vietnamese")
    assert tuple(row[0] for row in rows) == CATEGORIES
    assert {row[0]: row[1] for row in rows} == CATEGORY_NAMES


def test_guide_states_the_same_precedence_as_the_category_order() -> None:
    text = GUIDE.read_text(encoding="utf-8") if GUIDE.is_file() else ""
    guide_tables()  # skips or fails like the other guide tests when the file is absent
    names = [CATEGORY_NAMES[label].lower() for label in CATEGORIES]
    assert f"(precedence: {' > '.join(names)})" in text


def test_fields_and_default_departments_match_the_guide() -> None:
    rows = table("label | covers | default department")
    assert tuple(row[0] for row in rows) == FIELDS
    assert {row[0]: row[2] for row in rows} == DEFAULT_DEPARTMENT


def test_every_field_has_a_vietnamese_display_name() -> None:
    assert set(FIELD_NAMES) == set(FIELDS)
    assert all(name.strip() for name in FIELD_NAMES.values())


def test_guide_examples_use_only_known_labels() -> None:
    rows = table("text | category | urgent | field")
    assert rows
    for text, category, urgent, field in rows:
        assert category in CATEGORIES, text
        assert field in FIELDS, text
        assert urgent in {"true", "false"}, text
