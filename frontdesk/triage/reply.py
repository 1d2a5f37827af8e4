"""Does this message need a reply, and what kind of message is it?

question, complaint, praise, thanks (thanks only: nothing to answer) or statement.
Staff act on this more than on a headline score: a polite question needs an answer,
a bare "thank you!" does not.
"""

from __future__ import annotations

import re

from frontdesk.triage.base import NO_CONTEXT, Context, Finding, quoted
from frontdesk.triage.sentiment import Evidence, cased, clean, evidence, folded, found_in, label_for

_QUESTION_START = re.compile(
    r"(?:^|[.!?\n]\s*)(?:who|what|when|where|why|how|which|can|could|would|will|do|does|did|"
    r"is|are|was|were|should|may|might|any|have|has)\b[^.!?\n]{2,}",
    re.IGNORECASE,
)
_REQUEST = re.compile(
    r"\b(?:please|pls|plz|let me know|i need|i'?d like|i would like|i want|"
    r"help me|tell me|send me|call me|get back to me|dm me|contact me)\b",
    re.IGNORECASE,
)
_THANKS = re.compile(
    r"^\W*(?:(?:many |big )?thanks?(?: you| u)?(?: (?:so|very) much| a lot| again| a bunch)?|"
    r"thx|ty|cheers|much appreciated|appreciate (?:it|that|you)|great|perfect|awesome|"
    r"got it|ok(?:ay)?|all good|will do|sounds good)"
    r"(?:[\s,!.]+(?:\w+[\s,!.]*){0,4})?\W*$",
    re.IGNORECASE,
)

_QUESTION_START_CASED, _REQUEST_CASED = cased(_QUESTION_START), cased(_REQUEST)

INTENTS = ("question", "complaint", "praise", "thanks", "statement")


def intent(text: str, found: Evidence | None = None) -> tuple[str, list[str]]:
    plain = clean(text).strip()
    found = found or evidence(text)
    sentiment = label_for(found.score())
    if sentiment == "negative":
        return "complaint", found.negated_polite + found.failure + found.waiting + found.remedy
    low = folded(plain)  # the cue patterns read it (sentiment.cased)
    asked = "?" in plain or bool(_QUESTION_START_CASED.search(low))
    requested = found_in(_REQUEST_CASED, plain, low)
    if asked:
        return "question", requested or ["?"]
    if requested:
        return "question", requested
    if _THANKS.match(plain) and found.words <= 8:
        return "thanks", found.praise
    if sentiment == "positive":
        return "praise", found.praise
    return "statement", []


class NeedsReplyAnalyzer:
    """Score 1.0: answer it; 0.5: a statement someone should read; 0.0: thanks only."""

    name = "needs_reply"

    def analyze(self, text: str, context: Context = NO_CONTEXT) -> Finding:
        return self.from_evidence(text, evidence(text))

    def from_evidence(self, text: str, found: Evidence) -> Finding:
        kind, cues = intent(text, found)
        if kind in ("question", "complaint"):
            score, verb = 1.0, "needs a reply"
        elif kind == "statement":
            score, verb = 0.5, "may need a reply"
        else:
            score, verb = 0.0, "no reply needed"
        reason = f"{kind}, {verb}" + (f": {quoted(cues)}" if cues else "")
        return Finding(label=kind, score=score, reason=reason)
