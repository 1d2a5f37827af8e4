"""One explained priority score for a conversation (or a mention): how much it needs
someone now, 0-100, and the few words that say why ("negative, waiting 3 h, repeat
contact").

Pure: the inbox (rows, the API) and listening (mentions) pass what they know. The
wait weighs most and grows with every hour, so the longest-waiting customer is never
buried: the inbox's attention order still sorts waiting customers longest wait
first from its index (inbox/queries.py), and this score explains each row and
breaks no keyset. Points: waiting up to 50 (a day's wait reaches 50),
unhappy 20, urgent 20 (soon 10), priority urgent 15 (high 8), a repeat contact 10.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

WAIT_POINTS_MAX = 50
WAIT_HOURS_FOR_MAX = 24.0


@dataclass(frozen=True)
class PriorityScore:
    score: int
    reasons: tuple[str, ...]

    @property
    def why(self) -> str:
        return ", ".join(self.reasons)


def waited(hours: float) -> str:
    if hours < 1:
        return f"waiting {max(1, round(hours * 60))} min"
    if hours < 48:
        return f"waiting {round(hours)} h"
    return f"waiting {round(hours / 24)} days"


def priority_score(
    *,
    now: datetime,
    waiting_since: datetime | None = None,
    sentiment: str = "",
    urgency: str = "",
    priority: str = "",
    repeat_contact: bool = False,
) -> PriorityScore:
    points = 0.0
    reasons: list[str] = []
    if sentiment == "negative":
        points += 20
        reasons.append("negative")
    if urgency == "urgent":
        points += 20
        reasons.append("urgent")
    elif urgency == "soon":
        points += 10
        reasons.append("time-sensitive")
    if waiting_since is not None:
        hours = max(0.0, (now - waiting_since).total_seconds() / 3600)
        points += min(WAIT_POINTS_MAX, WAIT_POINTS_MAX * hours / WAIT_HOURS_FOR_MAX)
        reasons.append(waited(hours))
    if repeat_contact:
        points += 10
        reasons.append("repeat contact")
    if priority == "urgent":
        points += 15
        reasons.append("marked urgent")
    elif priority == "high":
        points += 8
        reasons.append("marked high")
    return PriorityScore(score=min(100, round(points)), reasons=tuple(reasons))


def for_conversation(conversation: object, now: datetime) -> PriorityScore:
    """The score of an inbox conversation, from its own fields (no query). A repeat
    contact: the customer wrote again after they started waiting."""
    waiting_since = getattr(conversation, "waiting_since", None)
    last = getattr(conversation, "last_customer_message_at", None)
    return priority_score(
        now=now,
        waiting_since=waiting_since,
        sentiment=getattr(conversation, "sentiment_label", "") or "",
        urgency=getattr(conversation, "urgency_label", "") or "",
        priority=getattr(conversation, "priority", "") or "",
        repeat_contact=bool(waiting_since and last and last > waiting_since),
    )


# A mention is answered when someone looked at it: seen, reached out or ignored.
MENTION_WAITING = ("new",)
REACH_POINTS_MAX = 10


def _reach_size(reach: object) -> tuple[int, str]:
    """The largest audience figure a source gave ("1200 followers", "340 points")."""
    best, label = 0, ""
    if isinstance(reach, dict):
        for name, value in reach.items():
            try:
                number = int(value)
            except (TypeError, ValueError):
                continue
            if number > best:
                best, label = number, str(name)
    return best, label


def for_mention(mention: object, now: datetime) -> PriorityScore:
    """The score of a mention, from its own fields (no query): how long it has been
    waiting for someone to look (a new one, since it was found), unhappy, asking
    for an answer, and how many people it reaches (up to 10 points at 10,000)."""
    status = getattr(mention, "status", "")
    waiting_since = getattr(mention, "found_at", None) if status in MENTION_WAITING else None
    score = priority_score(
        now=now,
        waiting_since=waiting_since,
        sentiment=getattr(mention, "sentiment_label", "") or "",
    )
    points = score.score
    reasons = [r.replace("waiting", "unseen", 1) for r in score.reasons]
    if getattr(mention, "needs_reply", False):
        points += 15
        reasons.insert(1 if reasons[:1] == ["negative"] else 0, "asks for an answer")
    size, label = _reach_size(getattr(mention, "reach", None))
    if size >= 100:
        points += min(REACH_POINTS_MAX, round(REACH_POINTS_MAX * size / 10_000) or 1)
        shown = f"{size / 1000:.1f}k".replace(".0k", "k") if size >= 1000 else str(size)
        reasons.append(f"reaches {shown} {label}".rstrip())
    return PriorityScore(score=min(100, points), reasons=tuple(reasons))
