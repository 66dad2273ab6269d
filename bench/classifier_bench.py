"""Classifier speed on one core: prediction throughput and training time on the seed set.

    python3 bench/classifier_bench.py [--repeat 8]

Numbers are ratios against a baseline without normalisation or calibration: one char_wb (2,5)
TF-IDF + LogisticRegression. Single-threaded BLAS and one pinned CPU, so the figures describe
one core whatever else runs on the machine (wall-clock time still suffers from a busy host:
CPU time is printed next to it).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy is imported

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402

from classifier.dataset import load_seed  # noqa: E402
from classifier.registry import Registry  # noqa: E402
from classifier.training import DEFAULT_CONFIG, TrainingResult, train  # noqa: E402


def timed(work: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def baseline(texts: list[str], labels: list[str]) -> Pipeline:
    return make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True),
        LogisticRegression(C=10.0, class_weight="balanced", max_iter=3000),
    ).fit(texts, labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="passes over the seed texts")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    seed = load_seed()
    texts = [ex.text for ex in seed.train]
    labels = [ex.category for ex in seed.train]
    unseen = [ex.text for ex in seed.heldout]
    # Batches of distinct texts: repeating texts inside a batch would flatter the per-batch
    # de-duplication of tokens and bigrams.
    batch = [ex.text for ex in seed.train + seed.heldout]
    results: list[object] = []
    ours_fit = timed(lambda: results.append(train(seed.train, DEFAULT_CONFIG, seed=0)))
    base_fit = timed(lambda: results.append(baseline(texts, labels)))
    ours, base = results
    assert isinstance(ours, TrainingResult)
    assert isinstance(base, Pipeline)
    with tempfile.TemporaryDirectory() as directory:
        registry = Registry(Path(directory))
        version = registry.save(ours.classifier, {}, training_hash="", training_size=0, seed=0)
        loaded = registry.load(version)  # empty token caches, as after a restart
        cold = timed(lambda: loaded.predict(unseen))
    warm = timed(lambda: [ours.classifier.predict(batch) for _ in range(args.rounds)])
    base_warm = timed(lambda: [base.predict_proba(batch) for _ in range(args.rounds)])
    single = timed(lambda: [ours.classifier.predict([text]) for text in unseen])
    report(len(batch) * args.rounds, ours_fit, base_fit, warm, base_warm)
    print(
        f"  freshly loaded model, first {len(unseen)} unseen texts: "
        f"{len(unseen) / cold[1]:,.0f} texts/s CPU"
    )
    print(f"  one text per call: {1000 * single[1] / len(unseen):.2f} ms CPU per call")


def report(
    n: int,
    ours_fit: tuple[float, float],
    base_fit: tuple[float, float],
    warm: tuple[float, float],
    base_warm: tuple[float, float],
) -> None:
    print("one core, BLAS 1 thread; seed set: train split for fitting, all texts for predicting")
    print(
        f"training (5-fold CV calibration + final fit): wall {ours_fit[0]:.2f} s,"
        f" CPU {ours_fit[1]:.2f} s"
    )
    print(
        f"  baseline fit: wall {base_fit[0]:.2f} s, CPU {base_fit[1]:.2f} s"
        f" -> ratio {ours_fit[1] / base_fit[1]:.1f}x CPU"
    )
    rate, base_rate = n / warm[1], n / base_warm[1]
    print(
        f"predict {n} texts (batches of distinct texts, normalisation included):"
        f" {rate:,.0f} texts/s CPU, {n / warm[0]:,.0f} texts/s wall"
    )
    print(
        f"  baseline predict_proba: {base_rate:,.0f} texts/s CPU -> ratio {rate / base_rate:.2f}x"
    )


if __name__ == "__main__":
    main()
