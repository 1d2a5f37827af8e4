"""Which texts are keywords: the whole message, whatever the case, space or punctuation."""

from __future__ import annotations

import pytest

from frontdesk.channels.sms.handling import OPT_OUT_WORDS, fill, keyword_of

OPT_OUTS = [
    "STOP",
    "stop",
    " Stop. ",
    "stop!",
    "STOP!!!",
    "“Stop”",
    "STOP ALL",
    "stopall",
    "Unsubscribe",
    "cancel",
    "END.",
    "quit",
    "Revoke",
    "opt-out",
    "OPT OUT",
    "optout",
    "\tSTOP\n",
    "ＳＴＯＰ",  # full-width letters from some phone keyboards
    "stop 🛑",
]

NOT_OPT_OUTS = [
    "please don't stop the storytime",
    "Stop by at 5?",
    "stop please",
    "don't stop",
    "STOPS",
    "unstoppable",
    "the end",
    "Can I cancel my hold?",
    "",
    "   ",
    "!!!",
    "S.T.O.P",
]


@pytest.mark.parametrize("text", OPT_OUTS)
def test_opt_out_variants_are_recognised(text):
    assert keyword_of(text) in OPT_OUT_WORDS


@pytest.mark.parametrize("text", NOT_OPT_OUTS)
def test_sentences_and_near_misses_are_not_opt_outs(text):
    assert keyword_of(text) not in OPT_OUT_WORDS


@pytest.mark.parametrize(
    ("text", "word"),
    [("hours?", "HOURS"), (" Address ", "ADDRESS"), ("help!", "HELP"), ("Un-stop", "UNSTOP")],
)
def test_other_keywords_are_normalised(text, word):
    assert keyword_of(text) == word


def test_a_long_text_is_never_a_keyword():
    assert keyword_of("stop " * 20) is None


def test_fill_replaces_known_variables_only():
    text = "{workspace}: {staff_first_name} {0.__class__} {unknown}"
    assert fill(text, {"workspace": "Riverside", "staff_first_name": "Maya"}) == (
        "Riverside: Maya {0.__class__} {unknown}"
    )
