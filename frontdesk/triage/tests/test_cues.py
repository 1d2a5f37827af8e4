"""The cue patterns run without IGNORECASE on folded text (sentiment.cased): they must
find exactly what the patterns as written find with it, in any case and script."""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path

import pytest

from frontdesk.triage import reply, sentiment
from frontdesk.triage.sentiment import cased, folded, found_in

CORPORA = Path(__file__).resolve().parents[3].parent / "shared/corpora"
PATTERNS = {
    "FAILURE": sentiment.FAILURE,
    "WAITING": sentiment.WAITING,
    "STILL_ASKING": sentiment.STILL_ASKING,
    "REMEDY": sentiment.REMEDY,
    "NEGATED_POLITE": sentiment.NEGATED_POLITE,
    "PRAISE": sentiment.PRAISE,
    "QUESTION_WORD": sentiment.QUESTION_WORD,
    "_QUESTION_START": reply._QUESTION_START,
    "_REQUEST": reply._REQUEST,
}
TRICKY = [
    "STILL waiting, NO ONE answered. Why?? I'd like a REFUND please",
    "ſtill waiting: the ſtaff were rude, İs anyone there? Why İ ask",  # ſ İ ı K
    "Kan someone help me? My hold was cancelled 3 HOURS ago",
    "Thanks for nothing. Not helpful at all, I've been on hold all day",
    "Ça ne marche pas, ÉTÉ perdu; straße, ﬁnes and FEES, ıssue",
    "DIDN'T arrive, hasn’t replied, haven't HEARD back; Could you still help?",
    "",
    "?!",
]


def _as_ignorecase(pattern: re.Pattern[str], text: str) -> list[str]:
    return [m.group(0).lower() for m in pattern.finditer(text)]


def _texts() -> list[str]:
    texts = list(TRICKY)
    rng = random.Random(11)
    marks = ["İ", "ı", "ſ", "K", "STILL", "Still", "PLEASE", "Why", "NO ONE", "’"]
    for base in TRICKY[:6]:  # each special character at a random word, in each case
        for _ in range(40):
            words = base.split()
            words.insert(rng.randrange(len(words) + 1), rng.choice(marks))
            text = " ".join(words)
            texts += [text, text.upper(), text.swapcase()]
    return texts


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_cues_match_as_ignorecase(name):
    pattern = PATTERNS[name]
    assert pattern.flags & re.IGNORECASE
    mine = cased(pattern)
    checked = 0
    for text in _texts():
        assert found_in(mine, text, folded(text)) == _as_ignorecase(pattern, text), text
        checked += 1
    assert checked > 700


@pytest.mark.skipif(not (CORPORA / "airline_sentiment").exists(), reason="corpora not here")
def test_cues_match_as_ignorecase_on_real_customer_tweets():
    with (CORPORA / "airline_sentiment/Tweets.csv").open(encoding="utf-8") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    assert len(texts) > 1000
    for text in texts:
        plain = sentiment.clean(text)
        low = folded(plain)
        for pattern in PATTERNS.values():
            assert found_in(cased(pattern), plain, low) == _as_ignorecase(pattern, plain), text


def test_folding_keeps_every_character_in_its_place():
    text = "İſıK Straße ÉTÉ ﬁne"
    low = folded(text)
    assert len(low) == len(text)
    assert low == "isik straße ÉtÉ ﬁne"  # ASCII capitals and four others, nothing else


def test_a_pattern_that_is_not_ascii_lower_case_is_refused():
    with pytest.raises(ValueError, match="ASCII lower case"):
        cased(re.compile(r"\bPlease\b", re.IGNORECASE))
    with pytest.raises(ValueError, match="ASCII lower case"):
        cased(re.compile(r"\bmerci à vous\b", re.IGNORECASE))
    assert cased(re.compile(r"\b\d+ (?:hours?|days?)\b\W", re.IGNORECASE)).flags & re.I == 0
