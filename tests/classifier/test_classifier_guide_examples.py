"""The default model labels every example of the labeling guide as the guide does."""

from __future__ import annotations

from pathlib import Path

from classifier.registry import load_active_or_build_default
from tests.classifier.test_classifier_labels import guide_tables


def test_the_default_model_agrees_with_every_example_of_the_labeling_guide(
    trained_models: Path,
) -> None:
    rows = guide_tables()["text | category | urgent | field"]
    assert len(rows) >= 9
    model = load_active_or_build_default(trained_models)
    predictions = model.predict([text for text, *_ in rows])
    got = [(p.category, p.urgent, p.field) for p in predictions]
    expected = [(category, urgent == "true", field) for _text, category, urgent, field in rows]
    assert got == expected
