"""The watch query language: words, phrases, boolean logic, folding, errors, spans."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontdesk.listening.query import QueryError, fold, highlight, parse


def matches(query: str, text: str) -> bool:
    return parse(query).matches(text)


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("riverside", "I love Riverside Library!", True),
        ("riverside", "Riversides are nice", False),  # whole words only
        ("river", "Riverside library", False),
        ("librar*", "the libraries were shut", True),
        ("riverside library", "library in riverside", True),  # implied AND
        ("riverside AND library", "riverside only", False),
        ('"riverside library"', "Riverside  Library rocks", True),
        ('"riverside library"', "library, riverside", False),
        ("riverside OR hillview", "the Hillview branch", True),
        ("riverside -california", "Riverside, California news", False),
        ("riverside -california", "Riverside library news", True),
        ('riverside -"riverside, ca"', "Sunny day in Riverside, CA", False),
        ("riverside NOT (ca OR california)", "Riverside library", True),
        ("riverside NOT (ca OR california)", "Riverside CA", False),
        ("(library OR libraries) AND riverside", "Riverside libraries rock", True),
        ("bibliotheque", "La Bibliothèque de Riverside", True),
        ("Bibliothèque", "BIBLIOTHEQUE", True),
        ("café", "the cafe at the library", True),
        ("e-books", "their e books are slow", True),
        ("e-books", "ebooks are slow", False),
        ("ﬁle", "file a complaint", True),  # compatibility ligature folds (NFKD)
        ("straße", "STRASSE", True),  # casefold
        ("riverside and", "riverside and", True),  # lower-case and is a word
        ("“riverside library”", "riverside library", True),  # typographic quotes
    ],
)
def test_query_matching(query, text, expected):
    assert matches(query, text) is expected


@pytest.mark.parametrize(
    ("query", "message", "position"),
    [
        ("", "Type at least one word", 0),
        ("   ", "Type at least one word", 0),
        ('"riverside library', "never closed", 0),
        ("(riverside OR hillview", "never closed", 0),
        ("riverside)", "no ( before it", 9),
        ("riverside OR", "missing at the end", 12),
        ("OR riverside", "needs a word on each side", 0),
        ("riverside AND OR library", "needs a word on each side", 14),
        ("()", "empty", 0),
        ('""', "phrase is empty", 0),
        ("-riverside", "not only what to leave out", 0),
        ("riverside NOT", "excludes", 13),
        ("riverside NOT )", "excludes", 14),
    ],
)
def test_bad_queries_say_what_and_where(query, message, position):
    with pytest.raises(QueryError) as caught:
        parse(query)
    assert message in caught.value.message
    assert caught.value.position == position
    assert f"character {position + 1}" in str(caught.value)


def test_nesting_is_bounded():
    with pytest.raises(QueryError, match="Too many parentheses"):
        parse("(" * 50 + "a" + ")" * 50)


def test_spans_point_at_the_original_text_even_with_accents():
    text = "Je suis allée à la Bibliothèque Riverside hier."
    found = parse("bibliotheque riverside").match(text)
    assert found is not None
    assert [text[s:e] for s, e in found.spans] == ["Bibliothèque", "Riverside"]
    assert found.terms == ["bibliotheque", "riverside"]


def test_spans_survive_letters_that_fold_longer_or_vanish():
    # "ß" folds to "ss" (one more character) and a lone combining accent to nothing
    # (one fewer): the lengths balance, the offsets must not be taken as unchanged.
    text = "Grosse \u0301Straße: RIVERSIDE Bücherei, riverside"
    found = parse("riverside OR strasse OR bucherei").match(text)
    assert found is not None
    assert [text[s:e] for s, e in found.spans] == ["Straße", "RIVERSIDE", "Bücherei", "riverside"]
    plain = "RIVERSIDE library, Riverside"
    assert [plain[s:e] for s, e in parse("riverside").match(plain).spans] == [
        "RIVERSIDE",
        "Riverside",
    ]


def test_excluded_words_are_not_highlighted_and_or_alternatives_all_are():
    text = "Riverside library and the Hillview library"
    query = parse("(riverside OR hillview) -closed")
    found = query.match(text)
    assert found is not None
    assert [text[s:e] for s, e in found.spans] == ["Riverside", "Hillview"]
    pieces = highlight(text, query.spans_in(text))
    assert "".join(p for p, _ in pieces) == text
    assert [p for p, marked in pieces if marked] == ["Riverside", "Hillview"]


def test_phrase_spans_cover_the_whole_phrase():
    text = "I was at riverside  public library today"
    found = parse('"riverside public library"').match(text)
    assert found is not None
    assert [text[s:e] for s, e in found.spans] == ["riverside  public library"]


WORDS = st.sampled_from(["riverside", "library", "hillview", "closed", "books", "café"])


@given(st.lists(WORDS, min_size=1, max_size=8), WORDS)
def test_a_word_matches_exactly_when_the_text_has_it(text_words, word):
    text = " ".join(w.upper() for w in text_words)
    assert matches(word, text) is (fold(word) in {fold(w) for w in text_words})


@given(st.lists(WORDS, min_size=1, max_size=8), WORDS, WORDS)
def test_boolean_laws(text_words, a, b):
    text = " ".join(text_words)
    has_a, has_b = matches(a, text), matches(b, text)
    assert matches(f"{a} OR {b}", text) is (has_a or has_b)
    assert matches(f"{a} AND {b}", text) is (has_a and has_b)
    assert matches(f"{a} -{b}", text) is (has_a and not has_b)
    assert matches(f"({a} OR {b}) NOT {b}", text) is (has_a and not has_b)


@given(st.text(max_size=40))
def test_any_input_parses_or_fails_with_a_query_error(text):
    try:
        query = parse(text)
    except QueryError as error:
        assert 0 <= error.position <= len(text)
    else:
        query.match(text)  # and matching never crashes


# --- the screen (`Query.may_match`): a cheap test before word positions ----------------


def screened(query: str, *texts: str) -> bool:
    return parse(query).may_match(fold("\n".join(texts)))


@pytest.mark.parametrize(
    ("query", "texts"),
    [
        ("riverside", ("I love Riverside Library!",)),
        ("librar*", ("the LIBRARIES were shut",)),
        ('"riverside library"', ("Riverside  Library rocks",)),
        ("riverside library", ("library", "in riverside")),  # title and body read as one
        ('"riverside library"', ("Riverside", "Library news")),  # a phrase across them
        ("bibliotheque", ("La Bibliothèque de Riverside",)),
        ("Bibliothèque", ("BIBLIOTHEQUE",)),
        ("café", ("the CAFÉ at the library",)),
        ("ﬁle", ("file a complaint",)),
        ("straße", ("STRASSE",)),
        ("e-books", ("their E BOOKS are slow",)),
        ("riverside NOT (ca OR california)", ("Riverside library",)),
        ("(fines OR fees) AND library NOT riverside", ("Late FEES at the library",)),
        ("hillview OR -riverside", ("nothing to see",)),  # matches with neither word
        ("-riverside OR hillview", ("nothing to see",)),
        ("(NOT riverside) OR hillview", ("nothing to see",)),
        ("hillview OR (books -riverside)", ("books",)),
    ],
)
def test_the_screen_passes_every_post_the_query_matches(query, texts):
    assert parse(query).matches(*texts)
    assert screened(query, *texts)


@pytest.mark.parametrize(
    ("query", "texts"),
    [
        ("riverside", ("The Hillview branch",)),
        ('"riverside library"', ("a library", "by the river")),
        ("librar*", ("books and more books",)),
        ("bibliothèque", ("the library",)),
        ("riverside library", ("Riverside parks",)),  # AND: one word missing is enough
        ('makerspace OR "3d printer"', ("a printer",)),
        ("(fines OR fees) AND library NOT riverside", ("fines at the pool",)),
        ("riverside NOT (ca OR california)", ("California",)),
    ],
)
def test_the_screen_turns_away_posts_without_the_words(query, texts):
    assert not parse(query).matches(*texts)
    assert not screened(query, *texts)  # so their word positions are never worked out


@pytest.mark.parametrize(
    "query",
    ["hillview OR -riverside", "-riverside OR hillview", "(NOT a) OR b", "(a -b) OR NOT c"],
)
def test_a_query_that_can_match_without_its_words_is_never_screened(query):
    assert parse(query).screen is None
    assert parse(query).may_match("")


SCREEN_WORDS = st.sampled_from(
    ["riverside", "Library", "LIBRARIES", "café", "CAFE", "straße", "strasse", "ﬁle", "e-books"]
)
TEXT_PIECES = st.one_of(
    SCREEN_WORDS,
    st.sampled_from(["Bibliothèque", "BIBLIOTHEQUE", ",", "e books", "3D", "ŒUVRE", "œuvre"]),
    st.text(max_size=6),
)


def _term(word: str, phrase_with: str | None, prefix: bool) -> str:
    if phrase_with is not None:
        return f'"{word} {phrase_with}"'
    return f"{word}*" if prefix and word.isalpha() else word


TERMS = st.builds(
    _term, SCREEN_WORDS, st.none() | SCREEN_WORDS | st.just("bibliothèque"), st.booleans()
)
QUERIES = st.recursive(
    TERMS,
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"({a} AND {b})", inner, inner),
        st.builds(lambda a, b: f"({a} OR {b})", inner, inner),
        st.builds(lambda a, b: f"({a} NOT {b})", inner, inner),
        st.builds(lambda a, b: f"({a} OR -{b})", inner, inner),
        st.builds(lambda a: f"(NOT {a})", inner),
    ),
    max_leaves=6,
)


@given(QUERIES, st.lists(TEXT_PIECES, max_size=10), st.lists(TEXT_PIECES, max_size=10))
def test_the_screen_never_turns_away_a_post_the_query_matches(source, title, body):
    try:
        query = parse(source)
    except QueryError:  # only what is left out (NOT alone): not a watch
        return
    texts = (" ".join(title), " ".join(body))
    if query.match(*texts) is not None:
        assert query.may_match(fold("\n".join(texts)))
