"""Seed data: validation errors name file:line and key; splits; the training-set hash."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from classifier.dataset import Example, load_seed, training_hash
from classifier.errors import DatasetError
from classifier.labels import CATEGORIES, FIELDS

SeedDir = Callable[[dict[str, list[str]]], Path]
GOOD = {
    "text": "đường ngập quá",
    "category": "phan_anh",
    "urgent": False,
    "field": "ha_tang_moi_truong",
    "source": "comment",
    "split": "train",
}


def line(**changes: object) -> str:
    record = {**GOOD, **changes}
    return json.dumps({k: v for k, v in record.items() if v is not ...}, ensure_ascii=False)


def test_seed_files_are_read_and_split(make_seed_dir: SeedDir) -> None:
    directory = make_seed_dir(
        {"a.jsonl": [line(), "", line(split="heldout", text="cho hỏi")], "b.jsonl": [line()]}
    )
    seed = load_seed(directory)
    assert len(seed.train) == 2
    assert [ex.text for ex in seed.heldout] == ["cho hỏi"]
    assert seed.train[0] == Example(
        "đường ngập quá", "phan_anh", False, "ha_tang_moi_truong", "comment"
    )


@pytest.mark.parametrize(
    ("bad_line", "key"),
    [
        (line(category="phan-anh"), "category"),
        (line(field="giao_thong"), "field"),
        (line(urgent="false"), "urgent"),
        (line(source="zalo"), "source"),
        (line(split="test"), "split"),
        (line(text="  "), "text"),
        (line(field=...), "field"),
        (line(extra=1), "extra"),
    ],
)
def test_a_bad_line_is_reported_with_file_line_and_key(
    make_seed_dir: SeedDir, bad_line: str, key: str
) -> None:
    directory = make_seed_dir({"x.jsonl": [line(), line(), bad_line]})
    with pytest.raises(DatasetError, match=rf"^x\.jsonl:3: .*'{key}'"):
        load_seed(directory)


def test_a_line_that_is_not_json_is_reported_with_its_position(make_seed_dir: SeedDir) -> None:
    directory = make_seed_dir({"y.jsonl": ['{"text": "thiếu ngoặc"']})
    with pytest.raises(DatasetError, match=r"^y\.jsonl:1: không phải JSON"):
        load_seed(directory)


def test_an_empty_seed_directory_is_an_error_that_says_what_to_do(make_seed_dir: SeedDir) -> None:
    with pytest.raises(DatasetError, match="cài lại"):
        load_seed(make_seed_dir({}))


def test_training_hash_ignores_order_but_not_labels_or_weights() -> None:
    a = Example("một", "hoi_dap", False, "khac", "comment")
    b = Example("hai", "gop_y", False, "khac", "message")
    assert training_hash([a, b]) == training_hash([b, a])
    assert training_hash([a, b]) != training_hash(
        [a, Example("hai", "khac", False, "khac", "message")]
    )
    assert training_hash([a]) != training_hash(
        [Example("một", "hoi_dap", False, "khac", "comment", 2.0)]
    )


def test_shipped_seed_set_is_valid_big_enough_and_covers_every_label() -> None:
    seed = load_seed()
    everything = seed.train + seed.heldout
    assert len(everything) >= 2500
    # The register training files (dang-*.jsonl) are train only: their test sets are the
    # separate files of classifier/data/eval (test_classifier_registers.py).
    assert len(seed.heldout) >= 500
    assert 0.10 <= len(seed.heldout) / len(everything) <= 0.25
    for part in (seed.train, seed.heldout):
        assert set(Counter(ex.category for ex in part)) == set(CATEGORIES)
        assert set(Counter(ex.field for ex in part)) == set(FIELDS)
        assert {ex.urgent for ex in part} == {True, False}
