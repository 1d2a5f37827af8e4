"""The default triage pipeline: every analyzer over one message, in one pass.

`analyze(text)` returns a `Triage` with each analyzer's finding. Sentiment's evidence
is computed once and shared with needs-a-reply (and, when a workspace has a learned
classifier, with it too: `learned.LearnedSentiment.finding`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from frontdesk.triage.abuse import AbuseAnalyzer
from frontdesk.triage.base import NO_CONTEXT, Context, Finding
from frontdesk.triage.language import LanguageAnalyzer
from frontdesk.triage.reply import NeedsReplyAnalyzer
from frontdesk.triage.sentiment import Evidence, _reason, evidence, label_for
from frontdesk.triage.urgency import UrgencyAnalyzer

MAX_CHARS = 5000  # a long email is judged on its first pages: enough, and bounded


@dataclass(frozen=True)
class Triage:
    sentiment: Finding
    needs_reply: Finding
    language: Finding
    abuse: Finding
    urgency: Finding
    evidence: Evidence

    def reasons(self) -> dict[str, str]:
        return {
            "sentiment": self.sentiment.reason,
            "needs_reply": self.needs_reply.reason,
            "language": self.language.reason,
            "abuse": self.abuse.reason,
            "urgency": self.urgency.reason,
        }


_reply = NeedsReplyAnalyzer()
_language = LanguageAnalyzer()
_abuse = AbuseAnalyzer()
_urgency = UrgencyAnalyzer()


def sentiment_from(found: Evidence) -> Finding:
    score = found.score()
    label = label_for(score)
    return Finding(label=label, score=round(score, 3), reason=_reason(label, found))


def analyze(text: str, context: Context = NO_CONTEXT) -> Triage:
    text = text[:MAX_CHARS]
    found = evidence(text)
    return Triage(
        sentiment=sentiment_from(found),
        needs_reply=_reply.from_evidence(text, found),
        language=_language.analyze(text, context),
        abuse=_abuse.analyze(text, context),
        urgency=_urgency.analyze(text, context),
        evidence=found,
    )


class Reading:
    """Part of `analyze(text)`, each finding worked out when first asked for and equal
    to `analyze`'s: for callers that keep only some (a listening mention keeps
    sentiment and needs-a-reply, and the language only when its source gave none)."""

    def __init__(self, text: str) -> None:
        self.text = text[:MAX_CHARS]

    @cached_property
    def evidence(self) -> Evidence:
        return evidence(self.text)

    @cached_property
    def sentiment(self) -> Finding:
        return sentiment_from(self.evidence)

    @cached_property
    def needs_reply(self) -> Finding:
        return _reply.from_evidence(self.text, self.evidence)

    @cached_property
    def language(self) -> Finding:
        return _language.analyze(self.text, NO_CONTEXT)


def warm_up() -> None:
    """Load every analyzer's model now (a worker calls this before it takes work, so
    the first customer message does not wait for them)."""
    from frontdesk.triage import abuse, language

    abuse._load()
    language._get()
    evidence("warm up")
