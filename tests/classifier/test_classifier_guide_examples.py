"""The default model labels every example the rules take from the labeling guide as they do."""

from __future__ import annotations

from pathlib import Path

from classifier.registry import load_active_or_build_default
from tests.classifier.test_classifier_labels import EXAMPLE_TABLE, URGENT, rules_table


def test_the_default_model_labels_every_guide_example_of_the_rules_as_the_rules_do(
    trained_models: Path,
) -> None:
    rows = rules_table(EXAMPLE_TABLE)
    assert len(rows) >= 9
    model = load_active_or_build_default(trained_models)
    predictions = model.predict([row["văn bản"] for row in rows])
    got = [
        (row["văn bản"], p.category, p.urgent, p.field)
        for row, p in zip(rows, predictions, strict=True)
    ]
    expected = [(row["văn bản"], row["nhãn"], URGENT[row["khẩn"]], row["lĩnh vực"]) for row in rows]
    assert got == expected
