"""Sentiment tuned for customer messages: VADER plus customer-service cues.

VADER scores words people use to sound happy or angry. Customers who complain are
often polite and plain ("nobody has answered my email, I'd like these fines
removed"): no angry word, a clear unhappy customer. So the score here is VADER's
compound score moved by what complaints are made of: a service that failed
("cancelled", "delayed", "lost", "charged twice"), waiting ("still", "again",
"nobody", "3 hours", "on hold"), asking for a remedy ("refund", "removed",
"compensation"), politeness turned round ("not helpful", "thanks for nothing"),
and questions asked in a negative context ("why was my flight cancelled?").
Praise and thanks move it the other way. Weights are set by hand for the kind of
message (complaints to a service), not fitted to a data set.

`features(text)` is the same evidence as numbers; the learned per-workspace
classifier (`learned.py`) starts from them.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from frontdesk.triage.base import NO_CONTEXT, Context, Finding, quoted

_VADER = SentimentIntensityAnalyzer()


def _words(*items: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w'])(?:" + "|".join(items) + r")(?![\w'])", re.IGNORECASE)


# A service that failed the customer.
FAILURE = _words(
    r"cancel+(?:ed|ing|ation|ations)?",
    r"canceled",
    r"delay(?:ed|s|ing)?",
    r"late(?:r)? (?:flight|again|arrival|departure)",
    r"lost",
    r"missing",
    r"missed",
    r"stuck",
    r"stranded",
    r"broken",
    r"damaged?",
    r"overbooked",
    r"bumped",
    r"denied",
    r"refused",
    r"charged(?: twice| again)?",
    r"double[- ]charged",
    r"overcharged",
    r"fines?",
    r"fees?",
    r"penalt(?:y|ies)",
    r"wrong",
    r"error",
    r"fail(?:ed|s|ure)?",
    r"problems?",
    r"issues?",
    r"complain(?:t|ts|ed|ing)?",
    r"rude",
    r"unhelpful",
    r"useless",
    r"unacceptable",
    r"ridiculous",
    r"disappoint(?:ed|ing|ment)",
    r"frustrat(?:ed|ing|ion)",
    r"annoy(?:ed|ing)",
    r"worst",
    r"horrible",
    r"terrible",
    r"awful",
    r"poor",
    r"mess",
    r"nightmare",
    r"joke",
    r"seriously",
    r"smh",
    r"wtf",
    r"ugh+",
    r"dirty",
    r"cold",
    r"diverted",
    r"rebook(?:ed|ing)?",
    r"reschedul(?:e|ed|ing)",
    r"overdue",
    r"not (?:working|received|arrived|delivered|fixed|resolved|refunded)",
    r"(?:never|still not|hasn'?t|haven'?t|didn'?t|did not|has not|have not) (?:arrived|received|got|gotten|heard|been|come|answered|replied|responded|called)",  # noqa: E501
    r"no (?:one|response|reply|answer|help|update|info|information|show|way)",
)
# Waiting and being ignored.
WAITING = _words(
    r"still",
    r"again",
    r"nobody",
    r"no one",
    r"anyone",
    r"never",
    r"waiting",
    r"waited",
    r"on hold",
    r"hold (?:time|times)",
    r"hung up",
    r"(?:\d+|an?|one|two|three|four|five|six|several|many) (?:hours?|hrs?|days?|weeks?|mins?|minutes?)",  # noqa: E501
    r"all (?:day|night|week)",
    r"how long",
    r"yet",
    r"any(?: )?more",
    r"keep(?:s)?",
    r"every time",
)
# Asking for a remedy.
REMEDY = _words(
    r"refund(?:ed|s)?",
    r"compensat(?:e|ed|ion)",
    r"reimburs(?:e|ed|ement)",
    r"voucher",
    r"money back",
    r"removed?",
    r"waive(?:d)?",
    r"fix(?:ed)?",
    r"explain",
    r"explanation",
    r"escalate",
    r"manager",
    r"supervisor",
    r"speak to (?:a|someone|somebody)",
    r"help me",
    r"need help",
    r"please help",
    r"(?:i'?d|i would) like (?:a|an|my|these|this|the|it|them)",
    r"i want (?:a|my|to know|an|the)",
    r"(?:do|can|will) (?:you|someone|anyone) (?:help|do|fix|explain)",
)
# Politeness turned round (a thank-you that is not one).
NEGATED_POLITE = _words(
    r"not (?:happy|helpful|impressed|pleased|good|great|ok|okay|satisfied|acceptable|cool|fun|nice|fair|right)",  # noqa: E501
    r"(?:isn'?t|wasn'?t|aren'?t|weren'?t) (?:happy|helpful|good|great|ok|okay|acceptable|fair|right|nice)",  # noqa: E501
    r"thanks? (?:a lot|for nothing|for (?:the|your) (?:no|non)[- ]?help|anyway)",
    r"thanks? for (?:nothing|ruining|losing|cancel+ing|delaying|wasting|making me)",
    r"no thanks",
    r"so much for",
    r"great job not",
    r"way to go",
    r"not a (?:good|great)",
    r"not the (?:best|first)",
    r"could(?:n'?t| not) (?:care less|be worse)",
    r"can'?t (?:believe|even|get through|get anyone|reach)",
    r"won'?t (?:let|answer|respond|help|refund|even)",
    r"doesn'?t (?:work|help|answer)",
    r"don'?t (?:care|know|answer|respond|work)",
)
PRAISE = _words(
    r"thanks?(?: you| u| so much| a bunch| again)?",
    r"thx",
    r"ty",
    r"appreciate(?:d)?",
    r"grateful",
    r"love(?:d|ly)?",
    r"great",
    r"awesome",
    r"amazing",
    r"excellent",
    r"fantastic",
    r"wonderful",
    r"perfect",
    r"best",
    r"kudos",
    r"shout ?out",
    r"props",
    r"brilliant",
    r"helpful",
    r"friendly",
    r"smooth",
    r"on time",
    r"early",
    r"yay",
    r"woo+(?:hoo+)?",
)
# "Do you still do passport photos?", "can I still borrow…": asking whether something
# goes on, not waiting. Each such "still" is taken off the waiting cues.
STILL_ASKING = re.compile(
    r"(?<![\w'])(?:do|does|can|could|are|is|will|would|should|may)\s+(?:[\w']+\s+){1,3}?still(?![\w'])(?!\s+(?:not|no|nothing|waiting|broken|down|closed|missing|haven'?t|hasn'?t|can'?t|won'?t|isn'?t|aren'?t)\b)",
    re.IGNORECASE,
)
QUESTION_WORD = _words(
    r"why", r"how come", r"what happened", r"what'?s going on", r"where (?:is|are)", r"when will"
)
_MENTION_URL = re.compile(r"@\w+|https?://\S+|www\.\S+")
_CAPS = re.compile(r"\b[A-Z]{3,}\b")


@dataclass(frozen=True)
class Evidence:
    """What the sentiment score is made of (also the learned classifier's features)."""

    vader_neg: float
    vader_neu: float
    vader_pos: float
    compound: float
    failure: list[str]
    waiting: list[str]
    remedy: list[str]
    negated_polite: list[str]
    praise: list[str]
    questions: int
    why: list[str]
    exclaims: int
    caps: int
    words: int

    def vector(self) -> list[float]:
        return [
            self.vader_neg,
            self.vader_neu,
            self.vader_pos,
            self.compound,
            min(len(self.failure), 4) / 4,
            min(len(self.waiting), 4) / 4,
            min(len(self.remedy), 3) / 3,
            min(len(self.negated_polite), 2) / 2,
            min(len(self.praise), 3) / 3,
            min(self.questions, 3) / 3,
            min(len(self.why), 2) / 2,
            min(self.exclaims, 3) / 3,
            min(self.caps, 3) / 3,
            min(self.words, 60) / 60,
            self.score(),
        ]

    def score(self) -> float:
        """In [-1, 1]: below NEGATIVE_BELOW unhappy, above POSITIVE_ABOVE happy."""
        complaint = (
            0.42 * min(len(self.failure), 3)
            + 0.22 * min(len(self.waiting), 3)
            + 0.3 * min(len(self.remedy), 2)
            + 0.6 * min(len(self.negated_polite), 2)
            + 0.3 * min(len(self.why), 2)
        )
        if self.questions and (self.failure or self.waiting or self.why or self.compound < 0):
            complaint += 0.2  # a question asked about something that went wrong
        if self.caps and complaint:
            complaint += 0.1
        praise = 0.35 * min(len(self.praise), 3) if not self.negated_polite else 0.0
        value = self.compound + praise - complaint
        return max(-1.0, min(1.0, value))


NEGATIVE_BELOW = -0.15
POSITIVE_ABOVE = 0.45


def clean(text: str) -> str:
    """The words a person wrote: entities decoded, handles and links dropped."""
    return _MENTION_URL.sub(" ", html.unescape(text))


# IGNORECASE has the engine fold case at each step of each try, which is most of what
# the cue patterns cost. They are written in ASCII lower case, so each runs instead,
# without the flag, on a folded copy of the text made once: ASCII capitals lowered,
# and the four other characters IGNORECASE takes for an ASCII letter (İ ı: i, ſ: s,
# K: k) turned into it. One character for one, so a match is where IGNORECASE finds
# it, and what it says is read from the text itself (test_cues_match_as_ignorecase).
_FOLD = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)} | {
    0x130: ord("i"),
    0x131: ord("i"),
    0x17F: ord("s"),
    0x212A: ord("k"),
}


def folded(text: str) -> str:
    """`text` as the cased cue patterns (`cased`) read it."""
    return text.lower() if text.isascii() else text.translate(_FOLD)


def cased(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """The IGNORECASE `pattern` without the flag, for text made by `folded`."""
    written = re.sub(r"\\.", "", pattern.pattern)  # its escapes (\w, \d, \b) aside
    if not written.isascii() or any(ch.isupper() for ch in written):
        raise ValueError(f"a cue pattern is ASCII lower case: {pattern.pattern!r}")
    return re.compile(pattern.pattern, pattern.flags & ~re.IGNORECASE)


def found_in(pattern: re.Pattern[str], text: str, low: str) -> list[str]:
    """What the `cased` pattern finds in `low` (`folded(text)`), as `text` says it,
    lower-cased: the same as IGNORECASE's matches in `text`."""
    return [text[m.start() : m.end()].lower() for m in pattern.finditer(low)]


_FAILURE, _WAITING, _STILL_ASKING, _REMEDY, _NEGATED_POLITE, _PRAISE, _QUESTION_WORD = map(
    cased, (FAILURE, WAITING, STILL_ASKING, REMEDY, NEGATED_POLITE, PRAISE, QUESTION_WORD)
)


def evidence(text: str) -> Evidence:
    plain = clean(text)
    low = folded(plain)
    vader = _VADER.polarity_scores(plain)
    return Evidence(
        vader_neg=vader["neg"],
        vader_neu=vader["neu"],
        vader_pos=vader["pos"],
        compound=vader["compound"],
        failure=found_in(_FAILURE, plain, low),
        waiting=_waiting(plain, low),
        remedy=found_in(_REMEDY, plain, low),
        negated_polite=found_in(_NEGATED_POLITE, plain, low),
        praise=found_in(_PRAISE, plain, low),
        questions=plain.count("?"),
        why=found_in(_QUESTION_WORD, plain, low),
        exclaims=plain.count("!"),
        caps=len(_CAPS.findall(plain)),
        words=len(plain.split()),
    )


def _waiting(plain: str, low: str) -> list[str]:
    cues = found_in(_WAITING, plain, low)
    for _ in _STILL_ASKING.finditer(low):
        if "still" in cues:
            cues.remove("still")
    return cues


def features(text: str) -> list[float]:
    return evidence(text).vector()


def label_for(score: float) -> str:
    if score < NEGATIVE_BELOW:
        return "negative"
    if score > POSITIVE_ABOVE:
        return "positive"
    return "neutral"


class SentimentAnalyzer:
    """negative / neutral / positive, with a score in [-1, 1] and the cues behind it."""

    name = "sentiment"

    def analyze(self, text: str, context: Context = NO_CONTEXT) -> Finding:
        found = evidence(text)
        score = found.score()
        label = label_for(score)
        return Finding(label=label, score=round(score, 3), reason=_reason(label, found))


def interleave(*groups: list[str]) -> list[str]:
    """The first cue of each kind, then the second of each, …: a short reason shows
    every kind of evidence before repeating one."""
    out: list[str] = []
    for rank in range(max((len(g) for g in groups), default=0)):
        out += [g[rank] for g in groups if rank < len(g)]
    return out


def _reason(label: str, found: Evidence) -> str:
    if label == "negative":
        cues = interleave(
            found.negated_polite, found.failure, found.waiting, found.remedy, found.why
        )
        if cues:
            return f"negative: {quoted(cues)}"
        return f"negative wording (VADER {found.compound:+.2f})"
    if label == "positive":
        if found.praise:
            return f"positive: {quoted(found.praise)}"
        return f"positive wording (VADER {found.compound:+.2f})"
    return "neutral: no complaint or praise"
