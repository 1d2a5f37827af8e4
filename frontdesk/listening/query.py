"""The watch query language: what staff type to say what a mention is.

    riverside library                      both words (AND is implied)
    "riverside library" OR "riverside pl"  either phrase
    (library OR libraries) AND riverside   parentheses group
    riverside -"riverside, ca"             -exclusion: posts with it never match
    riverside NOT (ca OR california)       NOT is the same as a leading -

Matching is on whole words, case- and accent-insensitive: "Bibliothèque" matches
"bibliotheque", "RIVERSIDE" matches "riverside", "river" does not match
"riverside". A term with punctuation inside ("e-books", "st. mary's") matches its
words in a row. Operators are upper case (lower-case "and"/"or"/"not" are words);
a trailing * on a term matches a word prefix ("librar*").

`parse(text)` returns a `Query` or raises `QueryError` with the position (0-based
character offset) of the problem. `Query.match(text)` returns a `Match` with the
spans of the original text that matched (for highlighting) and the terms found.
Pure Python: no Django.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

MAX_QUERY_LENGTH = 1000
MAX_DEPTH = 20

_WORD = re.compile(r"\w+")


class QueryError(ValueError):
    """A query that cannot be read; `position` is where (a character offset)."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at character {position + 1})")
        self.message = message
        self.position = position


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def fold(text: str) -> str:
    """`text` without accents and case: what matching compares."""
    if text.isascii():  # ASCII has no accents, and its case folding is lower()
        return text.lower()
    return "".join(map(_fold_char, text))


@dataclass(frozen=True)
class Words:
    """The words of a text, folded, with where each sits in the original text."""

    words: tuple[str, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    # Every distinct word: most posts lack a term's words, which this tells at once.
    vocabulary: frozenset[str] = frozenset()

    @classmethod
    def of(cls, text: str) -> Words:
        return _words_of(text)


# Every watch of a workspace reads the same post: its words are worked out once.
@lru_cache(maxsize=64)
def _words_of(text: str) -> Words:
    ascii_only = text.isascii()
    pieces = [text.lower()] if ascii_only else list(map(_fold_char, text))
    flat = "".join(pieces)
    found = list(_WORD.finditer(flat))
    words = tuple(match.group(0) for match in found)
    if ascii_only or all(len(piece) == 1 for piece in pieces):  # offsets unchanged
        starts = tuple(match.start() for match in found)
        ends = tuple(match.end() for match in found)
        return Words(words, starts, ends, frozenset(words))
    origin: list[int] = []
    for index, piece in enumerate(pieces):
        origin.extend([index] * len(piece))
    starts = tuple(origin[match.start()] for match in found)
    ends = tuple(origin[match.end() - 1] + 1 for match in found)
    return Words(words, starts, ends, frozenset(words))


# --- the tree ------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A word, a word prefix (`prefix`), or several words in a row (a phrase)."""

    words: tuple[str, ...]
    text: str
    prefix: bool = False

    def find(self, words: Words) -> list[tuple[int, int]]:
        n = len(self.words)
        whole = self.words if not self.prefix else self.words[:-1]
        if words.vocabulary and not words.vocabulary.issuperset(whole):
            return []
        seq, wanted_last = words.words, self.words[-1]
        if n == 1 and self.prefix:  # any word so begun: every word is a candidate
            return [
                (words.starts[i], words.ends[i])
                for i, word in enumerate(seq)
                if word.startswith(wanted_last)
            ]
        # Where the first word stands (found in C), then the rest in a row.
        spans: list[tuple[int, int]] = []
        head, first, stop, i = self.words[:-1], self.words[0], len(seq) - n + 1, -1
        while True:
            try:
                i = seq.index(first, i + 1, stop)
            except ValueError:
                return spans
            if seq[i : i + n - 1] != head:
                continue
            last = seq[i + n - 1]
            if last == wanted_last or (self.prefix and last.startswith(wanted_last)):
                spans.append((words.starts[i], words.ends[i + n - 1]))


@dataclass(frozen=True)
class Not:
    inner: Node


@dataclass(frozen=True)
class And:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Node, ...]


Node = Term | Not | And | Or


@dataclass
class Match:
    """What a query found in one text: the spans to highlight and the terms."""

    spans: list[tuple[int, int]] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)


def _evaluate(node: Node, words: Words, found: Match) -> bool:
    if isinstance(node, Term):
        spans = node.find(words)
        if spans:
            found.spans.extend(spans)
            if node.text not in found.terms:
                found.terms.append(node.text)
        return bool(spans)
    if isinstance(node, Not):
        return not _evaluate(node.inner, words, Match())
    if isinstance(node, And):
        trial = Match()
        if all(_evaluate(part, words, trial) for part in node.parts):
            found.spans.extend(trial.spans)
            found.terms.extend(t for t in trial.terms if t not in found.terms)
            return True
        return False
    hit = False
    for part in node.parts:  # every matching alternative is highlighted
        hit = _evaluate(part, words, found) or hit
    return hit


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


# --- the screen: which posts a query cannot match, without their word positions --------

Screen = Callable[[str], bool]


def _word_in(word: str) -> Screen:
    return lambda folded: word in folded


def _all_of(tests: tuple[Screen, ...]) -> Screen:
    return lambda folded: all(test(folded) for test in tests)


def _any_of(tests: tuple[Screen, ...]) -> Screen:
    return lambda folded: any(test(folded) for test in tests)


def _screen(node: Node) -> Screen | None:
    """A test on a folded text that is true whenever `node` can hold on it, or None
    when `node` can hold on a text without any of its words (a NOT: nothing to test).

    A term found in a text has each of its words (the last one, for a prefix, as the
    start of a word) among the text's folded words, so each is a substring of the
    folded text: the test may pass posts the query does not match (`match` decides
    those), never the other way."""
    if isinstance(node, Term):
        tests = tuple(_word_in(word) for word in dict.fromkeys(node.words))
        return tests[0] if len(tests) == 1 else _all_of(tests)
    if isinstance(node, Not):
        return None
    parts = [_screen(part) for part in node.parts]
    if isinstance(node, And):  # every part must hold: each one tested can say no
        tested = tuple(part for part in parts if part is not None)
        if not tested:
            return None
        return tested[0] if len(tested) == 1 else _all_of(tested)
    if any(part is None for part in parts):  # Or: one untestable part may hold alone
        return None
    tests = tuple(part for part in parts if part is not None)
    return tests[0] if len(tests) == 1 else _any_of(tests)


@dataclass(frozen=True)
class Query:
    source: str
    root: Node
    # None when the query can match a post without any of its words (e.g. `a OR -b`).
    screen: Screen | None = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "screen", _screen(self.root))

    def may_match(self, folded: str) -> bool:
        """False only when `match` would find nothing in the text whose `fold` (of the
        texts joined by a newline, as `match` reads them) is `folded`: a cheap test
        that spares most posts their word positions."""
        return self.screen is None or self.screen(folded)

    def match(self, *texts: str) -> Match | None:
        """The match over `texts` read as one document (title, body), or None.

        Spans are per text: `spans_in(text)` gives a text's own."""
        joined = "\n".join(texts)
        found = Match()
        if not _evaluate(self.root, Words.of(joined), found):
            return None
        found.spans = _merged(found.spans)
        return found

    def matches(self, *texts: str) -> bool:
        return self.match(*texts) is not None

    def spans_in(self, text: str) -> list[tuple[int, int]]:
        """Where this query's positive terms occur in `text` (to highlight a part of a
        document the whole of which matched)."""
        spans: list[tuple[int, int]] = []
        words = Words.of(text)
        for term in positive_terms(self.root):
            spans.extend(term.find(words))
        return _merged(spans)

    @property
    def terms(self) -> list[str]:
        return [t.text for t in positive_terms(self.root)]


def positive_terms(node: Node) -> list[Term]:
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return []
    return [t for part in node.parts for t in positive_terms(part)]


# --- reading a query --------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # word, phrase, and, or, not, minus, open, close
    text: str
    position: int


_OPERATORS = {"AND": "and", "OR": "or", "NOT": "not"}
_TERM_CHARS = re.compile(r"[^\s()\"“”]+")


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char == "(":
            tokens.append(_Token("open", char, i))
            i += 1
        elif char == ")":
            tokens.append(_Token("close", char, i))
            i += 1
        elif char in '"“”':
            end = min(
                (p for p in (text.find(q, i + 1) for q in '"“”') if p != -1),
                default=-1,
            )
            if end == -1:
                raise QueryError("This quote is never closed", i)
            tokens.append(_Token("phrase", text[i + 1 : end], i))
            i = end + 1
        elif char == "-" and i + 1 < len(text) and not text[i + 1].isspace():
            tokens.append(_Token("minus", char, i))
            i += 1
        else:
            found = _TERM_CHARS.match(text, i)
            assert found is not None  # a non-space, non-bracket, non-quote char
            word = found.group(0)
            tokens.append(_Token(_OPERATORS.get(word, "word"), word, i))
            i = found.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def end_position(self) -> int:
        return len(self.text)

    def parse(self) -> Node:
        if not self.tokens:
            raise QueryError("Type at least one word to look for", 0)
        node = self.or_(0)
        token = self.peek()
        if token is not None:
            if token.kind == "close":
                raise QueryError("This ) has no ( before it", token.position)
            raise QueryError(f"Unexpected “{token.text}”", token.position)
        return node

    def or_(self, depth: int) -> Node:
        parts = [self.and_(depth)]
        while (token := self.peek()) is not None and token.kind == "or":
            self.take()
            parts.append(self.and_(depth))
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_(self, depth: int) -> Node:
        parts = [self.unary(depth)]
        while (token := self.peek()) is not None and token.kind not in ("or", "close"):
            if token.kind == "and":
                self.take()
            parts.append(self.unary(depth))
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary(self, depth: int) -> Node:
        token = self.peek()
        if token is None:
            raise QueryError("Something is missing at the end", self.end_position())
        if token.kind in ("not", "minus"):
            self.take()
            following = self.peek()
            if following is None or following.kind in ("and", "or", "close"):
                where = following.position if following else self.end_position()
                raise QueryError(f"Say what “{token.text}” excludes", where)
            return Not(self.unary(depth))
        return self.atom(depth)

    def atom(self, depth: int) -> Node:
        token = self.take()
        if token.kind == "open":
            if depth >= MAX_DEPTH:
                raise QueryError("Too many parentheses inside one another", token.position)
            following = self.peek()
            if following is not None and following.kind == "close":
                raise QueryError("These parentheses are empty", token.position)
            node = self.or_(depth + 1)
            closing = self.peek()
            if closing is None or closing.kind != "close":
                raise QueryError("This ( is never closed", token.position)
            self.take()
            return node
        if token.kind == "close":
            raise QueryError("This ) has no ( before it", token.position)
        if token.kind in ("and", "or"):
            raise QueryError(f"“{token.text}” needs a word on each side", token.position)
        prefix = token.kind == "word" and token.text.endswith("*") and len(token.text) > 1
        raw = token.text[:-1] if prefix else token.text
        words = tuple(_WORD.findall(fold(raw)))
        if not words:
            what = "This phrase is empty" if token.kind == "phrase" else "This is not a word"
            raise QueryError(what, token.position)
        return Term(words=words, text=token.text.strip(), prefix=prefix)


def parse(text: str) -> Query:
    """Read a watch query; QueryError (with the position) if it cannot be read."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"A query is at most {MAX_QUERY_LENGTH} characters", MAX_QUERY_LENGTH)
    root = _Parser(text).parse()
    if not positive_terms(root):
        raise QueryError("Say what to look for, not only what to leave out", 0)
    return Query(source=text, root=root)


def highlight(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """`text` cut into (piece, is_match) pairs for a template to mark up."""
    pieces: list[tuple[str, bool]] = []
    at = 0
    for start, end in spans:
        if start < at or end > len(text):
            continue
        if start > at:
            pieces.append((text[at:start], False))
        pieces.append((text[start:end], True))
        at = end
    if at < len(text):
        pieces.append((text[at:], False))
    return pieces
