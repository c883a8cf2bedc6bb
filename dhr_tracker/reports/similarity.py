"""Repeated recommendations: similar texts across different reviews, grouped.

The Domestic Abuse Commissioner found the same recommendations made review after review and
rarely carried out (issue 7). To show them, each text is reduced to a set of word stems:
lower case, punctuation gone, stop words and the boilerplate of recommendations ("should
ensure", "make sure") dropped, and a light suffix-stripping stemmer applied ("trained",
"training" and "train" meet at "train"; "agencies" and "agency" at "agency"). Two texts are
similar when the Jaccard index of their stem sets (shared stems over all stems) reaches
``THRESHOLD``; similar pairs from different reviews are joined transitively (union-find), so a
recommendation made in three reviews in three wordings forms one group even if the first and
last wordings share less.

Why 0.5: paraphrases of one recommendation keep most of their content words and score 0.6 or
more, while recommendations written from one template about different subjects ("train staff on
coercive control" and "train staff on economic abuse") share the template's words and score
about 0.4; tests/reports/test_similarity.py holds both kinds.

Comparing every pair is quadratic, and the national page compares every partnership's
recommendations. Prefix filtering avoids that without missing a pair: with each set's stems
ordered rarest first, two sets whose Jaccard index is at least ``t`` must share a stem among the
first ``len - ceil(t * len) + 1`` stems of each, so only pairs that share such a stem are compared.
"""

import math
import re
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

THRESHOLD = 0.5

_WORD = re.compile(r"[a-z0-9]+")
# Common English words, then the boilerplate of recommendations, which says nothing of their subject.
_STOP_TEXT = """
a about above across after all also an and any are as at be been being between both but by can could do does
each either for from further had has have how i if in including into is it its may more most must no nor not
of on onto or other our out over own same shall should so such than that the their them then there these they
this those through to under until up upon us was we were what when where whether which while who whom why will
with within without would
ensure ensures ensuring make makes sure need needs needed consider considers
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
# Longest first; a suffix is stripped only if at least ``_MIN_STEM`` letters remain.
_SUFFIXES = (
    ("ations", ""),
    ("ation", ""),
    ("ments", ""),
    ("ment", ""),
    ("ness", ""),
    ("ings", ""),
    ("ing", ""),
    ("ies", "y"),
    ("ied", "y"),
    ("ers", ""),
    ("ed", ""),
    ("er", ""),
    ("es", ""),
    ("ly", ""),
    ("s", ""),
)
_MIN_STEM = 3
_VOWELS = frozenset("aeiouy")


def stem(word: str) -> str:
    """A light stem: one suffix off, then a final "e" and a doubled final consonant reduced."""
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                continue
            word = word[: -len(suffix)] + replacement
            break
    if len(word) > _MIN_STEM and word.endswith("e"):
        word = word[:-1]
    if len(word) > _MIN_STEM and word[-1] == word[-2] and word[-1] not in _VOWELS:
        word = word[:-1]
    return word


def stems(text: str) -> frozenset[str]:
    """The set of content-word stems of ``text``."""
    words = _WORD.findall(text.lower())
    return frozenset(stem(word) for word in words if len(word) > 1 and word not in STOP_WORDS)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def similar(first: str, second: str, threshold: float = THRESHOLD) -> bool:
    return jaccard(stems(first), stems(second)) >= threshold


@dataclass(frozen=True)
class Item:
    """A text to group: ``key`` names it, ``source`` the review it comes from."""

    key: Hashable
    source: Hashable
    text: str


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, index: int) -> int:
        while self.parent[index] != index:
            self.parent[index] = self.parent[self.parent[index]]
            index = self.parent[index]
        return index

    def union(self, first: int, second: int) -> None:
        a, b = self.find(first), self.find(second)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def _prefix_length(size: int, threshold: float) -> int:
    return size - math.ceil(threshold * size) + 1


def group(items: Sequence[Item], threshold: float = THRESHOLD) -> list[list[Hashable]]:
    """Groups of keys whose texts are similar across different sources, largest first.

    Pairs from the same source never join (a review does not repeat itself); texts with no
    content words join nothing. Within a group, keys keep the order of ``items``.
    """
    sets = [stems(item.text) for item in items]
    frequency = Counter(word for words in sets for word in words)
    ordered = [sorted(words, key=lambda word: (frequency[word], word)) for words in sets]
    index: dict[str, list[int]] = defaultdict(list)
    found = _UnionFind(len(items))
    for position, words in enumerate(ordered):
        if not words:
            continue
        candidates: set[int] = set()
        for word in words[: _prefix_length(len(words), threshold)]:
            candidates.update(index[word])
            index[word].append(position)
        for other in candidates:
            if items[other].source != items[position].source and jaccard(sets[position], sets[other]) >= threshold:
                found.union(position, other)
    members: dict[int, list[int]] = defaultdict(list)
    for position in range(len(items)):
        members[found.find(position)].append(position)
    groups = [positions for positions in members.values() if len(positions) > 1]
    groups.sort(key=lambda positions: (-len(positions), positions[0]))
    return [[items[position].key for position in positions] for positions in groups]
