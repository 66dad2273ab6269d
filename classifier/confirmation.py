"""Which predictions an officer should confirm first ("cần xác nhận"): uncertainty sampling.

A label confirmed or corrected where the model was least sure teaches it the most: on public
Vietnamese sets, margin sampling gained 1-3 macro-F1 over random picks at the same labelling
cost (../shared/reference/vn-nlp.md §5). Uncertainty alone keeps surfacing the same kind of
item and did worse than random in early rounds, so a seeded share of random items is mixed in.

The doubt of a prediction is the larger of two:
* category: 1 - (top probability - second probability), from the calibrated probabilities;
* urgency: 1 for the level "possible" (the model itself said it was unsure), otherwise how close
  the urgency score is to the "possible" threshold (1 on it, 0 at half a unit away).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from classifier.model import Prediction

UNCERTAIN: Final = "uncertain"
RANDOM: Final = "random"
RANDOM_SHARE: Final = 0.25  # vn-nlp.md §5: mix in 20-30 % random items


@dataclass(frozen=True, slots=True)
class Pick:
    """One prediction chosen for confirmation."""

    index: int  # position in the batch given to `needs_confirmation`
    reason: str  # UNCERTAIN or RANDOM
    doubt: float  # 0 (sure) to 1 (a coin toss), see the module doc


def doubt(prediction: Prediction, urgent_threshold: float = 0.5) -> float:
    """How unsure the model is about one prediction, from 0 to 1 (see the module doc)."""
    probs = prediction.category_probs
    if probs:
        first, second = sorted(probs.values(), reverse=True)[:2] if len(probs) > 1 else (1.0, 0.0)
        margin = first - second
    else:  # without the probabilities, the most the margin can be
        margin = max(0.0, 2.0 * prediction.confidence - 1.0)
    if prediction.urgency == "possible":
        urgency = 1.0
    else:
        urgency = max(0.0, 1.0 - 2.0 * abs(prediction.urgent_score - urgent_threshold))
    return max(1.0 - margin, urgency)


def needs_confirmation(
    predictions: Sequence[Prediction],
    count: int,
    *,
    urgent_threshold: float = 0.5,
    random_share: float = RANDOM_SHARE,
    seed: int = 0,
) -> list[Pick]:
    """Up to `count` predictions to confirm: the most doubtful first, then a seeded random share
    of the others (`random_share` of `count`, rounded). Deterministic for a seed."""
    if not 0.0 <= random_share <= 1.0:
        raise ValueError(f"random_share must be between 0 and 1, not {random_share}")
    count = max(0, min(count, len(predictions)))
    doubts = [doubt(p, urgent_threshold) for p in predictions]
    randoms = round(count * random_share)
    ranked = sorted(range(len(predictions)), key=lambda i: (-doubts[i], i))
    picks = [Pick(i, UNCERTAIN, doubts[i]) for i in ranked[: count - randoms]]
    rest = sorted(ranked[count - randoms :])
    # A reproducible sample for review, not a secret: a seeded PRNG is what is wanted.
    chosen = random.Random(seed).sample(rest, min(randoms, len(rest)))  # noqa: S311
    return picks + [Pick(i, RANDOM, doubts[i]) for i in sorted(chosen)]
