"""Interface texts in Vietnamese (the default) and English.

Texts live in ``review/translations/{vi,en}.yaml`` as nested keys (``queue.title``); a missing
English text falls back to Vietnamese, a missing key shows the key itself so it gets noticed.
The Vietnamese names of categories and fields come from ``classifier.labels``, their single
source.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.resources import files
from typing import Any, Final

import yaml

from classifier.labels import CATEGORY_NAMES, FIELD_NAMES

LANGUAGES: Final = ("vi", "en")
DEFAULT_LANGUAGE: Final = "vi"


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat |= _flatten(value, f"{name}.")
        else:
            flat[name] = str(value)
    return flat


def load_texts(language: str) -> dict[str, str]:
    raw = files("review").joinpath("translations", f"{language}.yaml").read_text("utf-8")
    texts = _flatten(yaml.safe_load(raw) or {})
    if language == DEFAULT_LANGUAGE:
        texts |= {f"category.{k}": v for k, v in CATEGORY_NAMES.items()}
        texts |= {f"field.{k}": v for k, v in FIELD_NAMES.items()}
    return texts


class Translations:
    """All languages, loaded once at app creation."""

    def __init__(self) -> None:
        self.texts = {lang: load_texts(lang) for lang in LANGUAGES}
        # Each language with the Vietnamese texts beneath its gaps: one lookup per text.
        self.merged = {lang: self.texts[DEFAULT_LANGUAGE] | self.texts[lang] for lang in LANGUAGES}

    def of(self, language: str) -> Mapping[str, str]:
        """Every text of ``language`` (Vietnamese where it has none), by key."""
        return self.merged.get(language, self.merged[DEFAULT_LANGUAGE])

    def get(self, language: str, key: str, **values: object) -> str:
        text = self.texts.get(language, {}).get(key)
        if text is None:
            text = self.texts[DEFAULT_LANGUAGE].get(key, key)
        return text.format(**values) if values else text
