"""Which language a message is written in (py3langid: its model ships in the wheel).

Identification is limited to the languages a customer service desk is likely to
meet, which makes it faster and avoids rare-language false hits on short texts.
Messages too short to tell are "" (unknown) rather than a guess.
"""

from __future__ import annotations

import re
import threading

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from frontdesk.triage.base import NO_CONTEXT, Context, Finding
from frontdesk.triage.sentiment import clean

LANGUAGES = (
    "en", "es", "fr", "de", "it", "pt", "nl", "sv", "da", "no", "fi", "pl", "cs", "ro",
    "hu", "tr", "el", "ru", "uk", "ar", "he", "fa", "hi", "bn", "ur", "zh", "ja", "ko",
    "vi", "th", "id", "ms", "tl", "sw",
)  # fmt: skip
MIN_LETTERS = 8  # fewer letters than this: "ok", "thx", an emoji: unknown
MIN_CONFIDENCE = 0.5
LONGEST = 400  # characters read by py3langid: plenty to tell, and a bounded cost
# Most messages a desk gets are plainly English; py3langid reads every byte in Python
# (about 0.3 ms a tweet), so text made of ASCII in which English-only function words
# are common is called English without it ("shortcut" in the reason says so).
_ENGLISH = frozenset(
    [
        "the",
        "and",
        "you",
        "your",
        "with",
        "have",
        "this",
        "that",
        "what",
        "why",
        "thanks",
        "thank",
        "please",
        "my",
        "to",
        "of",
        "for",
        "would",
        "will",
        "been",
        "can't",
        "don't",
        "i'm",
        "it's",
        "we're",
        "they're",
        "our",
        "their",
        "there",
        "here",
        "just",
    ]
)
_WORD = re.compile(r"[a-z']+")

_lock = threading.Lock()
_identifier: LanguageIdentifier | None = None


def _get() -> LanguageIdentifier:
    global _identifier
    with _lock:
        if _identifier is None:
            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            identifier.set_languages(list(LANGUAGES))
            _identifier = identifier
        return _identifier


def _has_letters(text: str, wanted: int) -> bool:
    """Whether `text` has at least `wanted` letters (it stops counting there)."""
    for ch in text:
        if ch.isalpha():
            wanted -= 1
            if wanted <= 0:
                return True
    return wanted <= 0


class LanguageAnalyzer:
    name = "language"

    def analyze(self, text: str, context: Context = NO_CONTEXT) -> Finding:
        plain = clean(text)
        if not _has_letters(plain, MIN_LETTERS):
            return Finding(label="", score=0.0, reason="too short to tell the language")
        if plain.isascii():
            words = _WORD.findall(plain.lower())
            hits = len({w for w in words if w in _ENGLISH})
            if hits >= 2 and sum(w in _ENGLISH for w in words) >= 0.25 * len(words):
                return Finding(
                    label="en", score=0.99, reason="written in en (common English words)"
                )
        code, probability = _get().classify(plain[:LONGEST])
        probability = float(probability)
        if probability < MIN_CONFIDENCE:
            return Finding(label="", score=probability, reason="language unclear")
        return Finding(
            label=str(code),
            score=round(probability, 3),
            reason=f"written in {code} ({probability:.0%})",
        )
