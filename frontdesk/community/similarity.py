"""Finding suggestions that say the same thing in other words.

"The Best of Talking Heads", "talking heads - best of" and "Best of the Talking
Heads!!" are one idea. Each text is normalised (lower case, accents and punctuation
gone, "the"/"a" dropped) and compared two ways; the higher score counts:
- TF-IDF over character 3–5-grams within words (scikit-learn), cosine similarity:
  forgiving of typos and word endings ("Talkin Heads", "headz");
- a token-set ratio written here: shared words over the shorter text's words, so
  word order and extra words ("please", "album") weigh little.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

THRESHOLD = 0.55
_STOP = frozenset({"the", "a", "an", "of", "and", "please", "for", "to", "some", "more", "we", "i"})
_WORD = re.compile(r"[a-z0-9]+")


def normalise(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(_WORD.findall(plain))


def _tokens(text: str) -> set[str]:
    words = set(normalise(text).split())
    meaningful = words - _STOP
    return meaningful or words


def token_set_ratio(a: str, b: str) -> float:
    """Shared meaningful words, as a share of the shorter and of the longer text's
    words, averaged (0 to 1): "Talking Heads" is close to "Best of Talking Heads",
    less so to "Remain in Light by Talking Heads"."""
    left, right = _tokens(a), _tokens(b)
    if not left or not right:
        return 0.0
    shared = len(left & right)
    return (shared / min(len(left), len(right)) + shared / max(len(left), len(right))) / 2


@dataclass(frozen=True)
class Match:
    index: int
    score: float


def similar(text: str, candidates: Sequence[str], *, threshold: float = THRESHOLD) -> list[Match]:
    """Indices of `candidates` that say what `text` says, best first."""
    if not candidates or not normalise(text):
        return []
    documents = [normalise(text), *(normalise(c) for c in candidates)]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform(documents)
    except ValueError:  # nothing but very short words: no n-grams to compare
        return []
    cosines = cosine_similarity(matrix[0], matrix[1:])[0]
    found = []
    for index, candidate in enumerate(candidates):
        score = max(float(cosines[index]), token_set_ratio(text, candidate))
        if score >= threshold:
            found.append(Match(index=index, score=round(score, 3)))
    return sorted(found, key=lambda m: -m.score)
