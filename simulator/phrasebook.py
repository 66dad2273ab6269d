"""The pool of made-up Vietnamese citizen texts and names (citizen_texts.yaml)."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

# How often each kind of citizen text appears; questions and complaints dominate real Pages.
CATEGORY_WEIGHTS = {
    "question": 30,
    "complaint": 25,
    "chatter": 12,
    "praise": 8,
    "urgent": 8,
    "spam": 7,
    "denunciation": 5,
}
EMOJI = ("🙏", "😡", "😭", "👍", "😤", "❤️", "🤔", "!!!", "...")


def strip_diacritics(text: str) -> str:
    """What people type on a phone without a Vietnamese keyboard: "Điện" -> "Dien"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True)
class Phrasebook:
    citizen: dict[str, tuple[str, ...]]
    replies: tuple[str, ...]
    page_posts: tuple[str, ...]
    page_replies: tuple[str, ...]
    messages: tuple[str, ...]
    family: tuple[str, ...]
    middle: tuple[str, ...]
    given: tuple[str, ...]
    nicknames: tuple[str, ...]

    @staticmethod
    @cache
    def load() -> Phrasebook:
        raw = resources.files("simulator").joinpath("citizen_texts.yaml")
        data = yaml.safe_load(raw.read_text(encoding="utf-8"))
        names = data["names"]
        return Phrasebook(
            citizen={k: tuple(v) for k, v in data["citizen"].items()},
            replies=tuple(data["replies"]),
            page_posts=tuple(data["page_posts"]),
            page_replies=tuple(data["page_replies"]),
            messages=tuple(data["messages"]),
            family=tuple(names["family"]),
            middle=tuple(names["middle"]),
            given=tuple(names["given"]),
            nicknames=tuple(names["nicknames"]),
        )

    def all_citizen_texts(self) -> set[str]:
        return {text for texts in self.citizen.values() for text in texts}

    def citizen_text(self, rng: random.Random, category: str | None = None) -> str:
        """A citizen sentence, sometimes typed without diacritics or with an extra emoji."""
        if category is None:
            category = rng.choices(list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values()))[0]
        text = rng.choice(self.citizen[category])
        roll = rng.random()
        if roll < 0.12:
            text = strip_diacritics(text)
        elif roll < 0.2:
            text = f"{text} {rng.choice(EMOJI)}"
        return text

    def person(self, rng: random.Random) -> tuple[str, str]:
        """A fictional user: (16-digit id, display name)."""
        user_id = str(rng.randrange(10**15, 10**16))
        if rng.random() < 0.08:
            return user_id, rng.choice(self.nicknames)
        parts = (rng.choice(self.family), rng.choice(self.middle), rng.choice(self.given))
        return user_id, " ".join(parts)
