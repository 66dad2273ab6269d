"""The token-cached vectoriser equals a union of scikit-learn TF-IDF vectorisers."""

from __future__ import annotations

import zipfile
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.artefact import TRUSTED_TYPES
from classifier.dataset import SeedSet
from classifier.features import TextFeatures
from classifier.normalize import normalize, normalize_stripped

UNSEEN = [
    "",
    "😍",
    "chưa thấy bao giờ xyz",
    "đường ngập quá ad ơi 0912345678",
    "duong nha toi bi ngap",
]


def word_grams(text: str) -> list[str]:
    tokens = normalize(text).split()
    return tokens + [f"{a} {b}" for a, b in pairwise(tokens)]


def reference_matrix(
    train: list[str], test: list[str], names: list[str], sublinear: bool
) -> np.ndarray:
    """The same features from scikit-learn's TfidfVectorizer, one vectoriser per view."""
    views = {
        "c": TfidfVectorizer(analyzer="char_wb", preprocessor=normalize, lowercase=False),
        "s": TfidfVectorizer(analyzer="char_wb", preprocessor=normalize_stripped, lowercase=False),
        "w": TfidfVectorizer(analyzer=word_grams),
    }
    matrix = np.zeros((len(test), len(names)))
    for prefix, vectorizer in views.items():
        if vectorizer.analyzer == "char_wb":
            vectorizer.set_params(ngram_range=(2, 5))
        vectorizer.set_params(min_df=2, sublinear_tf=sublinear)
        dense = vectorizer.fit(train).transform(test).toarray()
        for column, name in enumerate(vectorizer.get_feature_names_out()):
            matrix[:, names.index(prefix + name)] = dense[:, column]
    return matrix


@pytest.mark.parametrize("sublinear", [False, True])
def test_features_equal_a_union_of_sklearn_tfidf_vectorizers(
    corpus: SeedSet, sublinear: bool
) -> None:
    train = [ex.text for ex in corpus.train]
    test = [ex.text for ex in corpus.heldout] + UNSEEN
    features = TextFeatures(sublinear_tf=sublinear).fit(train)
    names = [str(name) for name in features.feature_names_]
    expected = reference_matrix(train, test, names, sublinear)
    np.testing.assert_allclose(features.transform(test).toarray(), expected, atol=1e-6)


def test_unseen_and_empty_texts_give_rows_of_the_right_width(corpus: SeedSet) -> None:
    features = TextFeatures().fit([ex.text for ex in corpus.train])
    matrix = features.transform(UNSEEN)
    assert matrix.shape == (len(UNSEEN), len(features.idf_))
    assert matrix[0].nnz == 0


def test_run_time_token_cache_stays_bounded(corpus: SeedSet) -> None:
    features = TextFeatures(max_cache=10).fit([ex.text for ex in corpus.train])
    base = len(features._token_cache)
    features.transform([f"từlạ{i}" for i in range(100)])
    assert len(features._token_cache) <= base + 10


def test_skops_round_trip_keeps_features_and_needs_only_the_allow_list(
    corpus: SeedSet, tmp_path: Path
) -> None:
    texts = [ex.text for ex in corpus.train]
    features = TextFeatures().fit(texts)
    path = tmp_path / "features.skops"
    sio.dump(features, path, compression=zipfile.ZIP_DEFLATED)
    assert set(sio.get_untrusted_types(file=path)) <= set(TRUSTED_TYPES)
    loaded = sio.load(path, trusted=TRUSTED_TYPES)
    probe = texts[:20] + UNSEEN
    assert (loaded.transform(probe) != features.transform(probe)).nnz == 0
