"""Choosing the training configuration by stratified cross-validation on the TRAIN split only.

`python3 -m classifier.selection [1|2|3]` prints one line per candidate; DEFAULT_CONFIG in
training.py records the choice. The heldout split is never looked at here.

Results on the seed set of November 2026 (2,079 train examples, 5-fold macro-F1):
  round 1: reference design 0.860; word n-grams are essential (0.836 without); accent-stripped
           word 1-2-grams +2.0, char (1,4) +1.5, sublinear tf +0.7; C in 3..30 within 0.5.
  round 2: all gains together 0.883; dropping the accented char view 0.890 (and faster).
  round 3 (3 fold seeds): stripped chars + both word views 0.894 (urgent precision 0.875 at
           recall 0.95, field accuracy 0.826, about 5 s to train); accented chars + both word
           views 0.888 (0.896, 0.823); stripped chars + stripped words 0.882.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from classifier.dataset import Example, load_seed
from classifier.evaluation import EvaluationReport, evaluate_raw
from classifier.training import TrainingConfig, train

BASE = TrainingConfig(
    views=("char", "char_stripped", "word"), char_ngrams=(2, 5), min_df=2, sublinear_tf=False
)
# Round 1: one change at a time from the reference design (vn-nlp.md §6).
ROUND_1: dict[str, TrainingConfig] = {
    "base: char+stripped (2,5), words 1-2, C=10": BASE,
    "C=3": replace(BASE, category_c=3.0, field_c=3.0, urgent_c=3.0),
    "C=30": replace(BASE, category_c=30.0, field_c=30.0, urgent_c=30.0),
    "char (2,4)": replace(BASE, char_ngrams=(2, 4)),
    "char (1,4)": replace(BASE, char_ngrams=(1, 4)),
    "+ stripped words": replace(BASE, views=(*BASE.views, "word_stripped")),
    "sublinear tf": replace(BASE, sublinear_tf=True),
    "min_df 3": replace(BASE, min_df=3),
    "no word view": replace(BASE, views=("char", "char_stripped")),
    "no stripped view": replace(BASE, views=("char", "word")),
}
# Round 2: the round-1 gains together (stripped words, char (1,4), sublinear tf).
BEST_1 = replace(
    BASE,
    views=("char", "char_stripped", "word", "word_stripped"),
    char_ngrams=(1, 4),
    sublinear_tf=True,
)
ROUND_2: dict[str, TrainingConfig] = {
    "all 4 views, char (1,4), sublinear": BEST_1,
    "  without stripped chars": replace(BEST_1, views=("char", "word", "word_stripped")),
    "  without accented chars": replace(BEST_1, views=("char_stripped", "word", "word_stripped")),
    "  char (1,5)": replace(BEST_1, char_ngrams=(1, 5)),
    "  char (1,3)": replace(BEST_1, char_ngrams=(1, 3)),
    "  C=30": replace(BEST_1, category_c=30.0, field_c=30.0, urgent_c=30.0),
    "  C=5": replace(BEST_1, category_c=5.0, field_c=5.0, urgent_c=5.0),
}
# Round 3: the close finalists of round 2, each cross-validated with 3 different fold seeds.
FINALIST = replace(BEST_1, views=("char", "word", "word_stripped"))
ROUND_3: dict[str, TrainingConfig] = {
    "accented chars + both word views, (1,4)": FINALIST,
    "stripped chars + both word views, (1,4)": replace(BEST_1, views=BEST_1.views[1:]),
    "stripped chars + stripped words, (1,4)": replace(
        BEST_1, views=("char_stripped", "word_stripped")
    ),
    "accented chars + both word views, (1,3)": replace(FINALIST, char_ngrams=(1, 3)),
}
ROUND_3_SEEDS = (0, 1, 2)


@dataclass(frozen=True, slots=True)
class Candidate:
    name: str
    config: TrainingConfig
    report: EvaluationReport
    seconds: float  # one full training: folds for calibration plus the final fit


def compare(
    examples: Sequence[Example], candidates: dict[str, TrainingConfig], seed: int = 0
) -> list[Candidate]:
    rows = []
    for name, config in candidates.items():
        started = time.perf_counter()
        result = train(examples, config, seed=seed)
        seconds = time.perf_counter() - started
        if result.cv_predictions is None:
            raise ValueError("too few examples to cross-validate")
        report = evaluate_raw(examples, result.cv_predictions, f"cv: {name}")
        rows.append(Candidate(name, config, report, seconds))
    return rows


def format_row(candidate: Candidate) -> str:
    r = candidate.report
    weakest = min(r.per_class, key=lambda label: r.per_class[label].f1)
    return (
        f"{candidate.name:<44} macro-F1 {r.macro_f1:.3f} (min {weakest} "
        f"{r.per_class[weakest].f1:.3f})  urgent R {r.urgent_recall:.3f} P {r.urgent_precision:.3f}"
        f"  field acc {r.field_accuracy:.3f}  ECE {r.calibration.ece:.3f}  {candidate.seconds:.1f}s"
    )


def main() -> None:
    rounds = {"1": (ROUND_1, (0,)), "2": (ROUND_2, (0,)), "3": (ROUND_3, ROUND_3_SEEDS)}
    chosen = [rounds[name] for name in sys.argv[1:]] or list(rounds.values())
    train_split = load_seed().train
    print(f"Stratified {BASE.folds}-fold CV on the seed train split ({len(train_split)} examples)")
    for candidates, seeds in chosen:
        for name, config in candidates.items():
            for seed in seeds:
                [candidate] = compare(train_split, {f"{name} s{seed}": config}, seed=seed)
                print(format_row(candidate), flush=True)


if __name__ == "__main__":
    main()
