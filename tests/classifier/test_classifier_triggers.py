"""Trigger words: a lexicon pattern skipped for lack of its trigger words could not have matched."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from classifier import shield, urgency
from classifier.dataset import load_registers, load_seed
from classifier.normalize import normalize, strip_tokens
from classifier.triggers import TriggeredPatterns, UnsupportedPatternError, spellings, triggers


def families() -> Iterator[tuple[str, TriggeredPatterns]]:
    for name in ("_PHRASE_RE", "_ONSET_RE", "_WORD_RE", "_SLANG_RE", "_STEM_RE"):
        accented, plain = getattr(urgency, name)
        yield f"urgency{name} accented", accented
        yield f"urgency{name} plain", plain
    yield "shield accented", shield._ACCENTED
    yield "shield plain", shield._PLAIN


FAMILIES = dict(families())


def full(family: TriggeredPatterns) -> re.Pattern[str]:
    return family._wrap(list(family.patterns))


def test_the_spellings_of_a_pattern_are_every_string_it_matches() -> None:
    assert spellings(r"(?:biển|ngọn) lửa(?: to)?") == {
        "biển lửa",
        "ngọn lửa",
        "biển lửa to",
        "ngọn lửa to",
    }
    assert spellings(r"đòi (?:\S+ ){0,1}?tiền") == {"đòi tiền", "đòi \x00 tiền"}


def test_triggers_are_the_rare_words_every_spelling_contains() -> None:
    assert triggers(r"(?:biển|ngọn|bén|tóe|xẹt|bốc) lửa") == {"lửa"}
    assert triggers(r"đang (?:cạy|phá) (?:cửa|khóa)") == {"cạy", "phá"}  # "đang" is common


@pytest.mark.parametrize("pattern", [r"[0-9]+ người", r"nước.*dâng", r"\S+", r"(?:a|b)+"])
def test_a_pattern_in_other_syntax_runs_on_every_text(pattern: str) -> None:
    with pytest.raises(UnsupportedPatternError):
        triggers(pattern)
    family = TriggeredPatterns([r"cháy", pattern], lambda ps: re.compile("|".join(ps)))
    assert family.untriggered == (pattern,)
    assert family.select(["trời", "đẹp"]) is not None


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_every_lexicon_pattern_has_trigger_words(name: str) -> None:
    assert FAMILIES[name].untriggered == ()


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_every_spelling_of_every_pattern_matches_as_the_full_alternation_does(name: str) -> None:
    family = FAMILIES[name]
    whole = full(family)
    for pattern in family.patterns:
        for spelling in sorted(spellings(pattern))[:200]:
            text = "hôm nay " + spelling.replace("\x00", "abc") + " nhé"
            selected = family.select(text.split())
            assert selected is not None, (pattern, spelling)
            found, expected = selected.search(text), whole.search(text)
            assert expected is not None, (pattern, spelling)
            assert found is not None and found.span() == expected.span(), (pattern, spelling)


def corpus_texts() -> list[str]:
    seed = load_seed()
    texts = [ex.text for ex in seed.train + seed.heldout]
    return texts + [ex.text for examples in load_registers().values() for ex in examples]


def test_danger_signals_and_accusation_cues_equal_those_of_the_full_alternations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    normalized = [normalize(text) for text in corpus_texts()]
    docs = [text.split() for text in normalized]
    stripped = [strip_tokens(doc) for doc in docs]

    def read() -> tuple[list[urgency.DangerSignal], list[bool]]:
        signals = list(map(urgency.danger_signal, normalized, docs, stripped))
        return signals, list(map(shield.accusation, normalized, docs, stripped))

    triggered = read()
    monkeypatch.setattr(TriggeredPatterns, "select", lambda self, tokens: full(self))
    reference = read()
    assert triggered == reference
    assert sum(s.live for s in reference[0]) > 300  # the corpus exercises the lexicon
    assert sum(reference[1]) > 50
