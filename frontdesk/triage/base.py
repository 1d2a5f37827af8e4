"""The one small interface every triage analyzer implements.

An analyzer looks at the text of one customer message (and a little context about
its conversation) and returns a `Finding`: a label, a score and a short reason a
person can read ("negative: 'still waiting', 'nobody answered'"). Analyzers are
pure: no database, no network, no Django; the hook in `hooks.py` stores what they
find on the message and its conversation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Context:
    """What an analyzer may know besides the text: is the customer already waiting
    for an answer (a repeat contact), and since when."""

    waiting_since: datetime | None = None
    received_at: datetime | None = None
    earlier_unanswered: int = 0


@dataclass(frozen=True)
class Finding:
    """One analyzer's answer. `score` is in [-1, 1] for sentiment, [0, 1] otherwise."""

    label: str
    score: float
    reason: str
    extra: dict[str, object] = field(default_factory=dict)


class Analyzer(Protocol):
    name: str

    def analyze(self, text: str, context: Context) -> Finding: ...


NO_CONTEXT = Context()


def quoted(cues: list[str], limit: int = 3) -> str:
    """'"still waiting", "nobody"' for a reason line; at most `limit` cues."""
    seen: list[str] = []
    for cue in cues:
        if cue not in seen:
            seen.append(cue)
    return ", ".join(f"“{cue}”" for cue in seen[:limit])
