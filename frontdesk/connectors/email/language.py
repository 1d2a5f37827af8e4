"""The language of a mail's visible text, as ISO 639-1.

py3langid (a maintained fork of langid.py, https://github.com/adbar/py3langid) ships
its naive-Bayes model inside the package: nothing is downloaded. It is restricted to
the languages a library's patrons most often write in, and answers "" when the text
is too short or the best language's probability is low. Japanese, Korean and Chinese
are decided by their scripts first: mail in them is full of English words (product
names, code) that pull any n-gram model towards English. About 0.1 ms a message.
"""

from __future__ import annotations

import re
import threading
from typing import Any

# Fewer letters than this and any guess is noise.
MIN_LETTERS = 20
# Enough text to decide; more only costs time.
SAMPLE_CHARS = 300
# The probability (0..1, among LANGUAGES) the best language needs before we name it.
MIN_PROBABILITY = 0.9

LANGUAGES = (
    "en", "fr", "de", "es", "nl", "it", "pt", "sv", "da", "no", "fi", "pl", "cs", "ru",
    "uk", "tr", "ar", "he", "el", "hu", "ro", "vi", "hi", "zh", "ja", "ko", "id", "tl",
    "fa", "ca",
)  # fmt: skip

_KANA = re.compile(r"[\u3040-\u30ff\uff66-\uff9f]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_HAN = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")
_NOISE = re.compile(r"https?://\S+|\S+@\S+|[\d_]+|[^\w\s]+")
_LETTER = re.compile(r"[^\W\d_]")

_identifier: Any = None
_lock = threading.Lock()


def _get_identifier() -> Any:
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                identifier.set_languages(list(LANGUAGES))
                _identifier = identifier
    return _identifier


def detect_language(text: str) -> str:
    """ISO 639-1 code of `text`'s language, or "" when too short or unsure."""
    sample = _NOISE.sub(" ", text[: SAMPLE_CHARS * 2])[:SAMPLE_CHARS]
    letters = len(_LETTER.findall(sample))
    if letters < MIN_LETTERS:
        return ""
    kana = len(_KANA.findall(sample))
    if kana * 10 >= letters:
        return "ja"
    if len(_HANGUL.findall(sample)) * 10 >= letters:
        return "ko"
    if not kana and len(_HAN.findall(sample)) * 4 >= letters:
        return "zh"
    code, probability = _get_identifier().classify(sample)
    if probability < MIN_PROBABILITY:
        return ""
    return str(code)
