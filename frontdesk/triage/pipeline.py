"""The default triage pipeline: every analyzer over one message, in one pass.

`analyze(text)` returns a `Triage` with each analyzer's finding. Sentiment's evidence
is computed once and shared with needs-a-reply (and, when a workspace has a learned
classifier, with it too: `learned.LearnedSentiment.finding`).
"""

from __future__ import annotations

from dataclasses import dataclass

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


def warm_up() -> None:
    """Load every analyzer's model now (a worker calls this before it takes work, so
    the first customer message does not wait for them)."""
    from frontdesk.triage import abuse, language

    abuse._load()
    language._get()
    evidence("warm up")
