"""TF-IDF features over several views of the normalised text, computed per token.

Equivalent to a FeatureUnion of TfidfVectorizers (char_wb n-grams on the normalised text and on
its accent-stripped copy, word 1-2-grams; sublinear tf, smooth idf, one L2 norm per view), but
char_wb n-grams never cross a word boundary, so each distinct token's feature ids are computed
once and cached: prediction does one dict lookup per token instead of ~30 per token.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from itertools import repeat
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from classifier.normalize import normalize, strip_diacritics, strip_tokens

# One prefix per view; the prefix is the first character of every feature key.
VIEW_PREFIX: Final[dict[str, str]] = {
    "char": "c",
    "char_stripped": "s",
    "word": "w",
    "word_stripped": "x",
}
_EMPTY: Final = np.zeros(0, dtype=np.int32)
IntArray = npt.NDArray[np.int32]
IntArray64 = npt.NDArray[np.int64]


@lru_cache(maxsize=1 << 17)
def token_keys(token: str, views: tuple[str, ...], char_ngrams: tuple[int, int]) -> list[str]:
    """Feature keys that depend on one token only (char n-grams, word unigrams), with repeats."""
    keys: list[str] = []
    stripped = strip_diacritics(token)
    if "char" in views:
        keys.extend(_char_wb_grams(token, "c", char_ngrams))
    if "char_stripped" in views:
        keys.extend(_char_wb_grams(stripped, "s", char_ngrams))
    if "word" in views:
        keys.append("w" + token)
    if "word_stripped" in views:
        keys.append("x" + stripped)
    return keys


def _char_wb_grams(token: str, prefix: str, ngrams: tuple[int, int]) -> list[str]:
    padded = f" {token} "
    low, high = ngrams
    if len(padded) < low:
        return [prefix + padded]
    size = len(padded)
    return [
        prefix + padded[i : i + n]
        for n in range(low, min(high, size) + 1)
        for i in range(size - n + 1)
    ]


def _binary_rows(rows: Sequence[Sequence[int]], width: int) -> sp.csr_matrix:
    sizes = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    indices = np.fromiter((i for row in rows for i in row), dtype=np.int64, count=int(sizes.sum()))
    indptr = np.concatenate([[0], np.cumsum(sizes)])
    return sp.csr_matrix(
        (np.ones(len(indices), dtype=np.float32), indices, indptr), shape=(len(rows), width)
    )


class TextFeatures(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Multi-view TF-IDF vectoriser for short Vietnamese texts (raw strings in, CSR out)."""

    def __init__(
        self,
        views: tuple[str, ...] = ("char", "char_stripped", "word"),
        char_ngrams: tuple[int, int] = (2, 5),
        word_bigrams: bool = True,
        min_df: int = 2,
        sublinear_tf: bool = False,
        max_cache: int = 200_000,
    ) -> None:
        self.views = views
        self.char_ngrams = char_ngrams
        self.word_bigrams = word_bigrams
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf
        self.max_cache = max_cache

    # -- fitting -------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], y: object = None) -> TextFeatures:
        return self.fit_normalized([normalize(text).split() for text in texts])

    def fit_normalized(self, docs: Sequence[list[str]]) -> TextFeatures:
        """Fit on already normalised, whitespace-split documents."""
        unknown = sorted(set(self.views) - set(VIEW_PREFIX))
        if unknown:
            raise ValueError(f"unknown feature views {unknown}; known: {sorted(VIEW_PREFIX)}")
        keys, tokens, counts = self._document_keys(docs)
        candidates: dict[str, int] = {}
        slot = candidates.setdefault
        rows = [
            [slot(feature, len(candidates)) for feature in self._key_features(key)] for key in keys
        ]
        occurrences = counts @ _binary_rows(rows, len(candidates))
        df = np.bincount(occurrences.indices, minlength=len(candidates))  # documents per feature
        kept = sorted(key for key, index in candidates.items() if df[index] >= self.min_df)
        self.feature_names_ = np.asarray(kept, dtype=str)
        kept_df = df[[candidates[key] for key in kept]].astype(np.float64)
        self.idf_ = (np.log((1.0 + len(docs)) / (1.0 + kept_df)) + 1.0).astype(np.float32)
        # Keys are sorted, so each view's features are contiguous: "c…" < "s…" < "w…" < "x…".
        first = [key[0] for key in kept]
        self.block_starts_ = np.asarray(
            [bisect_left(first, prefix) for prefix in sorted(VIEW_PREFIX.values())] + [len(kept)],
            dtype=np.int64,
        )
        self._build_lookup(keys[:tokens])
        return self

    def _key_features(self, key: str) -> list[str]:
        if " " in key:  # a bigram key is its own feature; tokens never contain spaces
            return [key]
        return token_keys(key, self.views, self.char_ngrams)

    def _build_lookup(self, tokens: Iterable[str]) -> None:
        self.vocabulary_: dict[str, int] = {
            str(key): index for index, key in enumerate(self.feature_names_)
        }
        self._token_cache: dict[str, IntArray] = {}
        # The view of each feature (views are contiguous blocks of columns).
        self._view_of = np.searchsorted(
            self.block_starts_[1:], np.arange(len(self.feature_names_)), side="right"
        )
        for token in tokens:
            if token not in self._token_cache:
                self._token_cache[token] = self._token_ids(token)
        self._base_cache_size = len(self._token_cache)

    def _token_ids(self, token: str) -> IntArray:
        vocab = self.vocabulary_
        found = [
            vocab[key] for key in token_keys(token, self.views, self.char_ngrams) if key in vocab
        ]
        return np.asarray(found, dtype=np.int32) if found else _EMPTY

    # -- transforming --------------------------------------------------------------------
    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        return self.transform_normalized([normalize(text).split() for text in texts])

    def transform_normalized(self, docs: Sequence[list[str]]) -> sp.csr_matrix:
        """Features of already normalised, whitespace-split documents.

        D (documents x distinct keys of the batch) times T (keys x features, idf-weighted): the
        only per-token Python work is one dict lookup; the rest runs in numpy and scipy.
        """
        keys, tokens, counts = self._document_keys(docs)
        return self._weigh(counts, self._key_matrix(keys, tokens))

    def _document_keys(self, docs: Sequence[list[str]]) -> tuple[list[str], int, sp.csr_matrix]:
        """Distinct tokens, then bigram keys, of a batch (and how many are tokens), and their
        counts per document."""
        local: dict[str, int] = {}
        slot = local.setdefault
        token_ids = np.asarray(
            [slot(token, len(local)) for tokens in docs for token in tokens], dtype=np.int64
        )
        lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
        doc_of = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
        keys = list(local)
        n_tokens = len(keys)
        rows, columns = [doc_of], [token_ids]
        if self.word_bigrams and len(token_ids) > 1:
            same_doc = doc_of[1:] == doc_of[:-1]
            first, second = token_ids[:-1][same_doc], token_ids[1:][same_doc]
            pair_doc = doc_of[1:][same_doc]
            for prefix, names, a, b in self._pair_views(keys, first, second):
                # Bigram keys are built once per distinct pair of the batch, not per occurrence.
                unique, inverse = np.unique(a * len(names) + b, return_inverse=True)
                left, right = np.divmod(unique, len(names))
                rows.append(pair_doc)
                columns.append(inverse.ravel() + len(keys))
                keys.extend(
                    [
                        f"{prefix}{names[i]} {names[j]}"
                        for i, j in zip(left.tolist(), right.tolist(), strict=True)
                    ]
                )
        row, column = np.concatenate(rows), np.concatenate(columns)
        # CSR straight from the entries: each part is sorted by document, so the stable sort is a
        # merge of a few runs. Repeated entries stay separate; products add them up.
        order = np.argsort(row, kind="stable")
        indptr = np.concatenate([[0], np.cumsum(np.bincount(row, minlength=len(docs)))])
        counts = sp.csr_matrix(
            (np.ones(len(row), dtype=np.float32), column[order], indptr),
            shape=(len(docs), len(keys)),
        )
        return keys, n_tokens, counts

    def _pair_views(
        self, names: list[str], first: IntArray64, second: IntArray64
    ) -> Iterator[tuple[str, list[str], IntArray64, IntArray64]]:
        if "word" in self.views:
            yield "w", names, first, second
        if "word_stripped" in self.views:
            plain: dict[str, int] = {}
            slot = plain.setdefault
            mapping = np.asarray([slot(p, len(plain)) for p in strip_tokens(names)], dtype=np.int64)
            yield "x", list(plain), mapping[first], mapping[second]

    def _key_matrix(self, keys: list[str], tokens: int) -> sp.csr_matrix:
        """Rows of idf-weighted feature counts, one per distinct key: `tokens` tokens, then
        bigram keys."""
        cache = self._token_cache
        get = cache.get
        rows = [ids if (ids := get(key)) is not None else self._learn(key) for key in keys[:tokens]]
        # One feature or none per bigram key: looked up in one pass, no array per key.
        bigrams = np.asarray(list(map(self.vocabulary_.get, keys[tokens:], repeat(-1))), np.int64)
        found = bigrams >= 0
        sizes = np.concatenate(
            [np.fromiter(map(len, rows), dtype=np.int64, count=len(rows)), found.astype(np.int64)]
        )
        indices = np.concatenate([*rows, bigrams[found].astype(np.int32)])
        # float32 halves the work of every sparse product in training and prediction.
        weights = (
            np.ones(len(indices), dtype=np.float32) if self.sublinear_tf else self.idf_[indices]
        )
        indptr = np.concatenate([[0], np.cumsum(sizes)])
        return sp.csr_matrix((weights, indices, indptr), shape=(len(keys), len(self.idf_)))

    def _learn(self, token: str) -> IntArray:
        ids = self._token_ids(token)
        cache = self._token_cache
        if len(cache) >= self.max_cache + self._base_cache_size:
            # Bounded memory in a long-running daemon: forget the tokens learnt at run time.
            for extra in list(cache)[self._base_cache_size :]:
                cache.pop(extra, None)  # pop: another thread may evict at the same time
        cache[token] = ids
        return ids

    def _weigh(self, counts: sp.csr_matrix, keys: sp.csr_matrix) -> sp.csr_matrix:
        """counts @ keys, optional sublinear tf, then one L2 norm per view and document, as a
        FeatureUnion of TfidfVectorizers would give."""
        matrix = counts @ keys
        if self.sublinear_tf:
            matrix.data = (1.0 + np.log(matrix.data)) * self.idf_[matrix.indices]
        n_views = len(self.block_starts_) - 1
        view = self._view_of[matrix.indices]
        rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        slot = rows * n_views + view
        squares = np.bincount(slot, weights=matrix.data * matrix.data)
        norms = np.sqrt(squares)
        norms[norms == 0.0] = 1.0
        matrix.data /= norms[slot].astype(matrix.data.dtype)
        return matrix

    # -- persistence (skops) -------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = dict(super().__getstate__())
        # Derived lookups are rebuilt on load: smaller artefacts, nothing but arrays to trust.
        for derived in ("vocabulary_", "_token_cache", "_base_cache_size", "_view_of"):
            state.pop(derived, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "feature_names_" in state:
            self._build_lookup(())
