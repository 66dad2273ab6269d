"""Group similar reports into topics for the leadership's meeting summary.

"7 phản ánh mất sóng ở thôn Lương Xá" instead of seven lines. The rule is meant to be
explained to a leader in one breath:

1. only items of the same unit and the same field can share a topic;
2. each text is reduced to its words, without accents and small talk ("mất sóng" and
   "mat song" are the same words; "ạ", "ad ơi", "cho em hỏi" carry no topic), numbers kept
   ("ngõ 5" is not "ngõ 7");
3. words and pairs of words are weighted by TF-IDF (a word found in every text of the period
   weighs little);
4. texts are joined into groups bottom-up (agglomerative clustering, average linkage): two
   groups merge while the average cosine similarity of their texts is at least ``THRESHOLD``.

``THRESHOLD`` was chosen on tests/fixtures/topics.yaml (about a hundred hand-labelled texts);
tests/classifier/test_topics.py measures the grouping on it (adjusted Rand index, pairwise
precision and recall) and the README reports the figures.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Final

from classifier.normalize import normalize_token, strip_diacritics

THRESHOLD: Final = 0.10
KEYWORDS: Final = 3
WORD_PATTERN: Final = r"(?u)\b\w+\b"
_WORD: Final = re.compile(r"\w+")
# Words of every topic, without accents: greetings, pronouns, particles, "đề nghị", "xã".
_STOP_TEXT: Final = """
    a ad admin ah ak anh ba bac ban bi cac cai can cha chi cho chua chu co con cu cua da dang
    de den di do duoc em gi gio ha hay hien hoi hom huhu j khi khong ko kia la lai lam lan len
    luc ma mai may minh moi mong na nao nay ne nghi nha nhe nhieu nho nhu nhung no noi nua o oi
    qua ra rang roi rat sao se ta tai thay the thi thoi toi tren tu tui va van ve vi voi vs xa
    xin xem y"""
STOP_WORDS: Final = frozenset(_STOP_TEXT.split())


@dataclass(frozen=True)
class TopicText:
    """One item to group: ``block`` (unit, field) keeps unrelated items apart."""

    key: Hashable
    block: Hashable
    text: str


@dataclass(frozen=True)
class Topic:
    block: Hashable
    keys: list[Hashable]
    # The text closest to all the others (what the group is about), and its heaviest words.
    central: Hashable
    keywords: list[str]


def words(text: str) -> str:
    """The text as the grouping reads it: lower case, teencode expanded, no accents."""
    tokens = (normalize_token(t) for t in _WORD.findall(text.lower()))
    kept = (w for t in tokens for w in strip_diacritics(t).split() if w not in STOP_WORDS)
    return " ".join(kept)


def group(texts: Sequence[TopicText], threshold: float = THRESHOLD) -> list[Topic]:
    """The topics of ``texts``, biggest first (a text alike no other is a topic of one)."""
    if not texts:
        return []
    # Imported here: the web loads this module with its pages, scikit-learn only when asked.
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2),
        sublinear_tf=True,
        token_pattern=WORD_PATTERN,
        lowercase=False,
    )
    read = [words(t.text) or "_" for t in texts]
    matrix = vectorizer.fit_transform(read)
    names = vectorizer.get_feature_names_out()
    blocks: dict[Hashable, list[int]] = defaultdict(list)
    for index, text in enumerate(texts):
        blocks[text.block].append(index)
    topics: list[Topic] = []
    for block, rows in blocks.items():
        for members in _clusters(matrix[rows], threshold):
            picked = [rows[m] for m in members]
            topics.append(_topic(texts, matrix, names, block, picked))
    return sorted(topics, key=lambda t: (-len(t.keys), str(t.block), str(t.keys[0])))


def _clusters(matrix: object, threshold: float) -> list[list[int]]:
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics.pairwise import cosine_distances

    size = matrix.shape[0]  # type: ignore[attr-defined]
    if size == 1:
        return [[0]]
    distances = cosine_distances(matrix)
    labels = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=1.0 - threshold,
    ).fit_predict(distances)
    found: dict[int, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        found[int(label)].append(index)
    return list(found.values())


def _topic(
    texts: Sequence[TopicText],
    matrix: object,
    names: Sequence[str],
    block: Hashable,
    rows: list[int],
) -> Topic:
    import numpy as np

    sub = matrix[rows]  # type: ignore[index]
    similarity = (sub @ sub.T).toarray()
    # The title: the text closest to the others, written with accents when one is.
    # A text's similarities add up to at most len(rows): the accents come first.
    marks = np.array([strip_diacritics(texts[r].text) != texts[r].text for r in rows])
    closeness = similarity.sum(axis=1) + len(rows) * marks
    central = rows[int(np.argmax(closeness))]
    # Pairs of words say more than single ones ("mat song" rather than "song").
    weights = np.asarray(sub.sum(axis=0)).ravel()
    weights = weights * np.array([1.6 if " " in str(n) else 1.0 for n in names])
    keywords: list[str] = []
    for index in np.argsort(-weights):
        word = str(names[int(index)])
        if weights[int(index)] <= 0 or word == "_":
            break
        if not any(set(word.split()) & set(kept.split()) for kept in keywords):
            keywords.append(word)
        if len(keywords) == KEYWORDS:
            break
    spoken = [accented(word, [texts[r].text for r in rows]) for word in keywords]
    return Topic(block, [texts[r].key for r in rows], texts[central].key, spoken)


def accented(keyword: str, texts: Sequence[str]) -> str:
    """The keyword as the group's texts write it most often with accents ("mat song" →
    "mất sóng"); the accentless form when nobody wrote it otherwise."""
    size = len(keyword.split())
    seen: dict[str, int] = defaultdict(int)
    for text in texts:
        tokens = [w for t in _WORD.findall(text.lower()) for w in normalize_token(t).split()]
        for start in range(len(tokens) - size + 1):
            phrase = " ".join(tokens[start : start + size])
            if strip_diacritics(phrase) == keyword:
                seen[phrase] += 1
    if not seen:
        return keyword
    return max(seen, key=lambda p: (p != keyword, seen[p]))
