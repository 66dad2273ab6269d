"""The default model on the register test sets (classifier/data/eval): urgency first, masking
fails safe, chit-chat stays quiet. These files are never trained on."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier.dataset import CHITCHAT_REGISTER, load_registers
from classifier.evaluation import RegisterScores, register_scores
from classifier.registry import load_active_or_build_default


@pytest.fixture(scope="module")
def scores(trained_models: Path) -> dict[str, RegisterScores]:
    model = load_active_or_build_default(trained_models)
    return {
        name: register_scores(examples, model.predict_raw([ex.text for ex in examples]), name)
        for name, examples in load_registers().items()
    }


def test_every_register_ships_at_least_sixty_texts_and_chit_chat_five_hundred() -> None:
    registers = load_registers()
    assert len(registers) >= 8
    assert all(len(examples) >= 60 for examples in registers.values())
    chat = registers[CHITCHAT_REGISTER]
    assert len(chat) >= 500
    assert all(ex.category == "khac" and not ex.urgent for ex in chat)


def test_real_emergencies_reach_the_duty_officer_in_every_register(
    scores: dict[str, RegisterScores],
) -> None:
    urgent = sum(s.urgent_support for s in scores.values())
    reached = sum(s.alert_recall * s.urgent_support for s in scores.values() if s.urgent_support)
    assert reached / urgent >= 0.97
    for name, s in scores.items():
        if s.urgent_support:
            assert s.alert_recall >= 0.97, name


def test_every_denunciation_is_masked_at_the_fitted_threshold(
    scores: dict[str, RegisterScores],
) -> None:
    to_cao = sum(s.to_cao_support for s in scores.values())
    masked = sum(s.shield_recall * s.to_cao_support for s in scores.values() if s.to_cao_support)
    assert masked / to_cao >= 0.98


def test_chit_chat_is_never_urgent_and_almost_never_masked(
    scores: dict[str, RegisterScores],
) -> None:
    chat = scores[CHITCHAT_REGISTER]
    assert chat.false_urgent_rate <= 0.005  # the confident level
    # "possible" pages the duty officer at night too: chit-chat must almost never reach it.
    assert chat.false_alert_rate <= 0.005
    assert chat.false_to_cao_rate <= 0.01
    assert chat.shield_rate <= 0.01


def test_category_macro_f1_holds_on_every_register(scores: dict[str, RegisterScores]) -> None:
    for name, s in scores.items():
        if name != CHITCHAT_REGISTER:
            assert s.macro_f1 >= 0.75, name
