"""Urgency cues: deadlines, "today", "still waiting", repeat contact, ALL CAPS,
escalation words. Each cue adds to a score in [0, 1]; from `URGENT_AT` the message
is "urgent", from `SOON_AT` "soon"."""

from __future__ import annotations

import re

from frontdesk.triage.base import NO_CONTEXT, Context, Finding, quoted


def _words(*items: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w'])(?:" + "|".join(items) + r")(?![\w'])", re.IGNORECASE)


# (pattern, weight)
CUES: tuple[tuple[re.Pattern[str], float], ...] = (
    (
        _words(
            r"urgent(?:ly)?",
            r"asap",
            r"emergency",
            r"immediately",
            r"right (?:now|away)",
            r"as soon as possible",
            r"time[- ]sensitive",
            r"critical",
        ),
        0.5,
    ),
    (
        _words(
            r"today",
            r"tonight",
            r"this (?:morning|afternoon|evening)",
            r"tomorrow(?: morning)?",
            r"within (?:the )?(?:hour|\d+ (?:hours?|minutes?|mins?))",
            r"in (?:\d+|an?|one|two) (?:hours?|minutes?|mins?)",
            r"by (?:noon|midnight|tonight|monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d{1,2}(?::\d\d)? ?(?:am|pm))",  # noqa: E501
            r"deadline",
            r"due (?:today|tomorrow|date)",
            r"expir(?:es|ing|y)",
            r"last day",
            r"before (?:it|my|the) (?:closes|expires|leaves|departs|flight|appointment)",
            r"(?:flight|train|appointment|interview|exam|surgery|court|closing) (?:is |leaves |departs )?(?:today|tomorrow|in)",  # noqa: E501
            r"boarding",
            r"about to (?:leave|miss|lose|board)",
        ),
        0.35,
    ),
    (
        _words(
            r"still (?:waiting|no|not|nothing|haven'?t|hasn'?t|can'?t)",
            r"(?:waited|waiting|been waiting|on hold) (?:for )?(?:\d+|an?|one|two|three|several) (?:hours?|hrs?|days?|weeks?|mins?|minutes?)",  # noqa: E501
            r"(?:second|third|fourth|\d+(?:nd|rd|th)) time",
            r"again and again",
            r"(?:called|emailed|written|wrote|asked|messaged|texted|tried) (?:\w+ )?(?:\d+|twice|three|several|many|multiple) times",  # noqa: E501
            r"nobody (?:has )?(?:answered|replied|responded|called|got back)",
            r"no (?:one|body) (?:has )?(?:answered|replied|responded|called|got back)",
            r"(?:haven'?t|have not|never) (?:heard|received|got(?:ten)?) (?:back|a reply|a response|an answer|anything)",  # noqa: E501
            r"follow(?:ing)?[- ]up",
            r"reminder",
        ),
        0.35,
    ),
    (
        _words(
            r"manager",
            r"supervisor",
            r"escalat(?:e|ed|ion)",
            r"complaint",
            r"lawyer",
            r"attorney",
            r"legal action",
            r"sue",
            r"small claims",
            r"ombudsman",
            r"regulator",
            r"trading standards",
            r"better business bureau",
            r"bbb",
            r"chargeback",
            r"dispute",
            r"report (?:you|this)",
            r"cancel (?:my|our) (?:account|membership|subscription)",
            r"never (?:again|use|fly|shop|come)",
            r"going to the (?:press|media)",
        ),
        0.3,
    ),
)
_CAPS_WORD = re.compile(r"\b[A-Z]{3,}\b")
_ACRONYMS = frozenset(
    {"ASAP", "USA", "SMS", "PDF", "URL", "FAQ", "ETA", "NYC", "LAX", "JFK", "BBB"}
)
URGENT_AT = 0.6
SOON_AT = 0.3


def signals(text: str) -> tuple[float, ...]:
    """The cues of one text as numbers, for a classifier learned from corrections:
    how often each group of `CUES` appears, ALL CAPS, "!!!" and the default score
    (without the repeat contact, which is not in the text)."""
    counts = [float(len(pattern.findall(text))) for pattern, _ in CUES]
    shouted = [w for w in _CAPS_WORD.findall(text) if w not in _ACRONYMS]
    caps = 1.0 if len(shouted) >= 2 or (shouted and len(text.split()) <= 4) else 0.0
    bangs = 1.0 if text.count("!") >= 3 else 0.0
    return (*counts, caps, bangs, UrgencyAnalyzer().analyze(text).score)


class UrgencyAnalyzer:
    name = "urgency"

    def analyze(self, text: str, context: Context = NO_CONTEXT) -> Finding:
        score = 0.0
        cues: list[str] = []
        for pattern, weight in CUES:
            found = [m.group(0).lower() for m in pattern.finditer(text)]
            if found:
                score += weight + 0.1 * (len(found) - 1)
                cues += found
        shouted = [w for w in _CAPS_WORD.findall(text) if w not in _ACRONYMS]
        if len(shouted) >= 2 or (shouted and len(text.split()) <= 4):
            score += 0.2
            cues.append("ALL CAPS")
        if text.count("!") >= 3:
            score += 0.1
            cues.append("!!!")
        if context.earlier_unanswered:
            score += 0.25 + 0.1 * min(context.earlier_unanswered - 1, 2)
            cues.append(f"repeat contact ({context.earlier_unanswered + 1} messages unanswered)")
        score = min(score, 1.0)
        if score >= URGENT_AT:
            label = "urgent"
        elif score >= SOON_AT:
            label = "soon"
        else:
            label = ""
        if label:
            reason = f"{label}: {quoted(cues)}"
        else:
            reason = f"not urgent: {quoted(cues)}" if cues else "no urgency cues"
        return Finding(label=label, score=round(score, 3), reason=reason)
