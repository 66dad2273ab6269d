"""The project's labeling rules (docs/quy-tac-gan-nhan.md) state exactly the label set in code,
and agree with the English labeling guide when it sits next to the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from classifier.labels import CATEGORIES, CATEGORY_NAMES, DEFAULT_DEPARTMENT, FIELD_NAMES, FIELDS

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "docs" / "quy-tac-gan-nhan.md"
# The English specification lives outside the repository (../shared), so a plain clone lacks it.
GUIDE = ROOT.parent / "shared" / "labeling-guide.md"

# The rules' tables, found by their exact header (the document asks editors to keep them).
CATEGORY_TABLE = ("mã nhãn", "tên tiếng Việt", "ưu tiên", "là gì", "câu hỏi kiểm tra")
FIELD_TABLE = ("mã lĩnh vực", "tên hiển thị", "phạm vi", "phòng ban mặc định")
EXAMPLE_TABLE = ("văn bản", "nhãn", "khẩn", "lĩnh vực")  # the guide's examples: asserted
EXTRA_EXAMPLE_TABLE = ("văn bản", "nhãn", "khẩn", "lĩnh vực", "quy tắc")  # labels checked only
URGENT = {"có": True, "không": False}
RULE_REFERENCES = {str(number) for number in range(1, 9)} | {"văn phong"}

Row = dict[str, str]


def markdown_tables(path: Path) -> dict[tuple[str, ...], list[Row]]:
    """Every Markdown table of a file keyed by its header cells; rows map header to cell, with
    surrounding spaces and backticks removed."""
    tables: dict[tuple[str, ...], list[Row]] = {}
    header: tuple[str, ...] | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.startswith("|"):
            header = None
            continue
        cells = tuple(cell.strip().strip("`") for cell in line.strip().strip("|").split("|"))
        if header is None:
            assert cells not in tables, f"{path.name}:{number}: a second table headed {cells}"
            header, tables[cells] = cells, []
        elif not set("".join(cells)) <= set("-: "):
            assert len(cells) == len(header), (
                f"{path.name}:{number}: {len(cells)} cells under a {len(header)}-column header; "
                "a '|' inside a cell splits it, reword the cell"
            )
            tables[header].append(dict(zip(header, cells, strict=True)))
    return tables


def rules_table(header: tuple[str, ...]) -> list[Row]:
    tables = markdown_tables(RULES)
    assert header in tables, (
        f"{RULES.name} has no table headed | {' | '.join(header)} |; "
        "restore that header, the tests read the table by it"
    )
    return tables[header]


def guide_table(tables: dict[tuple[str, ...], list[Row]], *columns: str) -> list[Row]:
    """The one table of the guide whose header starts with `columns`."""
    matches = [rows for header, rows in tables.items() if header[: len(columns)] == columns]
    assert len(matches) == 1, f"expected one table of the guide headed {' | '.join(columns)} …"
    return matches[0]


def precedence(text: str, pattern: str) -> list[str]:
    """The category names of the one precedence chain ("a > b > …") that `pattern` captures."""
    chains = re.findall(pattern, text)
    assert len(chains) == 1, f"expected one precedence chain matching {pattern!r}, got {chains}"
    return [name.strip() for name in chains[0].split(">")]


def rules_precedence() -> list[str]:
    return precedence(RULES.read_text(encoding="utf-8"), r"(?m)^Thứ tự ưu tiên: (.+)$")


def test_the_rules_list_the_code_categories_in_precedence_order() -> None:
    rows = rules_table(CATEGORY_TABLE)
    assert tuple(row["mã nhãn"] for row in rows) == CATEGORIES
    assert [row["ưu tiên"] for row in rows] == [str(rank + 1) for rank in range(len(CATEGORIES))]


def test_the_rules_give_each_category_the_vietnamese_name_the_code_shows() -> None:
    rows = rules_table(CATEGORY_TABLE)
    assert {row["mã nhãn"]: row["tên tiếng Việt"] for row in rows} == CATEGORY_NAMES


def test_the_precedence_sentence_of_the_rules_follows_the_category_order() -> None:
    assert rules_precedence() == [CATEGORY_NAMES[label].lower() for label in CATEGORIES]


def test_the_rules_list_the_code_fields_with_their_names_and_default_departments() -> None:
    rows = rules_table(FIELD_TABLE)
    assert tuple(row["mã lĩnh vực"] for row in rows) == FIELDS
    assert {row["mã lĩnh vực"]: row["tên hiển thị"] for row in rows} == FIELD_NAMES
    assert {row["mã lĩnh vực"]: row["phòng ban mặc định"] for row in rows} == DEFAULT_DEPARTMENT


def test_every_field_has_a_vietnamese_display_name() -> None:
    assert set(FIELD_NAMES) == set(FIELDS)
    assert all(name.strip() for name in FIELD_NAMES.values())


@pytest.mark.parametrize("header", [EXAMPLE_TABLE, EXTRA_EXAMPLE_TABLE], ids=["guide", "extra"])
def test_every_example_of_the_rules_uses_known_labels(header: tuple[str, ...]) -> None:
    rows = rules_table(header)
    assert rows
    for row in rows:
        assert row["văn bản"], row
        assert row["nhãn"] in CATEGORIES, row
        assert row["khẩn"] in URGENT, row
        assert row["lĩnh vực"] in FIELDS, row


def test_every_extra_example_names_the_hard_case_it_illustrates() -> None:
    for row in rules_table(EXTRA_EXAMPLE_TABLE):
        assert row["quy tắc"] in RULE_REFERENCES, row


def test_no_example_text_appears_twice_in_the_rules() -> None:
    tables = (EXAMPLE_TABLE, EXTRA_EXAMPLE_TABLE)
    texts = [row["văn bản"] for header in tables for row in rules_table(header)]
    assert len(texts) == len(set(texts))


def test_the_rules_agree_with_the_labeling_guide_when_it_is_next_to_the_repository() -> None:
    if not GUIDE.is_file():
        pytest.skip(f"no labeling guide at {GUIDE}; the rules are still checked against the code")
    guide = markdown_tables(GUIDE)
    categories = guide_table(guide, "label", "Vietnamese")
    rules_categories = rules_table(CATEGORY_TABLE)
    assert [(r["label"], r["Vietnamese"]) for r in categories] == [
        (r["mã nhãn"], r["tên tiếng Việt"]) for r in rules_categories
    ], "category codes, names or their order differ between the guide and the rules"
    guide_text = GUIDE.read_text(encoding="utf-8")
    assert precedence(guide_text, r"\(precedence: ([^)]+)\)") == rules_precedence()
    fields = guide_table(guide, "label", "covers", "default department")
    assert [(r["label"], r["default department"]) for r in fields] == [
        (r["mã lĩnh vực"], r["phòng ban mặc định"]) for r in rules_table(FIELD_TABLE)
    ], "field codes, their order or default departments differ between the guide and the rules"
    rules_examples = {
        r["văn bản"]: (r["nhãn"], r["khẩn"], r["lĩnh vực"]) for r in rules_table(EXAMPLE_TABLE)
    }
    for r in guide_table(guide, "text", "category", "urgent", "field"):
        urgent = {"true": "có", "false": "không"}[r["urgent"]]
        assert rules_examples.get(r["text"]) == (r["category"], urgent, r["field"]), (
            f"the guide's example {r['text']!r} is missing from section 7.1 of the rules "
            "or labelled differently there"
        )
