"""The visible reply: what each client writes below a reply is trimmed, inline
answers are kept, the full text stays whole."""

from __future__ import annotations

import pytest

from frontdesk.connectors.email.parse import parse_message
from frontdesk.connectors.email.quotes import visible_reply

from .helpers import fixture, message


def test_gmail_html_quote_is_trimmed():
    parsed = parse_message(fixture("gmail_html_reply.eml"))
    assert parsed.body_text == (
        "Thanks! I will pick it up on Thursday afternoon.\n\nCould you keep it until 6pm?"
    )
    assert 'your hold on "The Overstory" is ready' in parsed.body_text_full
    assert "On Mon, Dec 2, 2024" in parsed.body_text_full
    assert parsed.from_address == "maya.patel@example.org"
    assert parsed.in_reply_to == "<conv-42.1@riverside.example>"
    assert parsed.references == ("<conv-42.0@riverside.example>", "<conv-42.1@riverside.example>")


def test_outlook_divrplyfwdmsg_and_signature_are_trimmed():
    parsed = parse_message(fixture("outlook_html_reply.eml"))
    assert parsed.body_text == (
        "Hi,\nRoom B works for us. We will be 12 people – see the plan below.\n[floor plan]"
    )
    assert "which room would you like?" in parsed.body_text_full
    assert "Chess club secretary" in parsed.body_text_full
    # The marker lines never leak into the text people read.
    assert "\ue000" not in parsed.body_text_full and "\ue001" not in parsed.body_text_full
    (image,) = parsed.attachments
    assert image.inline and image.content_id == "image001.png@01DB4618.1A2B3C40"
    assert image.filename == "attachment-1.png"


def test_yahoo_quote_is_trimmed():
    parsed = parse_message(fixture("yahoo_html_reply.eml"))
    assert parsed.body_text == "I renewed it online, thank you for the reminder."
    assert "Your library card expires next week." in parsed.body_text_full


def test_proton_quote_and_footer_are_trimmed():
    parsed = parse_message(fixture("proton_html_reply.eml"))
    assert parsed.body_text == "I found it under the sofa, I will bring it back tomorrow."
    assert '"Dune" is 30 days overdue' in parsed.body_text_full


def test_apple_blockquote_cite_is_trimmed():
    parsed = parse_message(fixture("apple_cite_reply.eml"))
    assert parsed.body_text == "See you there, my son is coming too."
    assert "story hour starts at 10am" in parsed.body_text_full


def test_outlook_original_message_is_trimmed():
    parsed = parse_message(fixture("outlook_original_message.eml"))
    assert parsed.body_text == (
        "I already paid the fine at the desk last week – could you check again?\n\nPriya"
    )
    assert "outstanding fine of $2.50" in parsed.body_text_full


def test_outlook_header_block_in_german_is_trimmed():
    parsed = parse_message(fixture("outlook_header_block.eml"))
    assert parsed.body_text == (
        "Vielen Dank, ich hole das Buch am Freitag ab.\n\nMit freundlichen Grüßen\nTom Becker"
    )
    assert "Ihre Fernleihe ist eingetroffen." in parsed.body_text_full
    assert parsed.language == "de"


def test_inline_answers_are_kept_whole():
    parsed = parse_message(fixture("inline_answers.eml"))
    assert "The 3D printer, please." in parsed.body_text
    assert "Thursday morning." in parsed.body_text
    assert "> Which day suits you?" in parsed.body_text
    assert parsed.body_text == parsed.body_text_full


def test_signature_is_trimmed_and_flowed_text_unwrapped():
    parsed = parse_message(fixture("signature_only.eml"))
    assert parsed.body_text == (
        "Are you open on the 24th of December? I would like to return two books before "
        "the holidays."
    )
    assert parsed.body_text_full.endswith("Jon Berg\nPhone 555 0100")


ATTRIBUTIONS = {
    "en": "On Mon, 2 Dec 2024 at 10:00, Riverside Library <desk@riverside.example> wrote:",
    "fr": "Le lun. 2 déc. 2024 à 10:00, Riverside Library <desk@riverside.example> a écrit :",
    "de": "Am Mo., 2. Dez. 2024 um 10:00 Uhr schrieb Riverside Library <desk@riverside.example>:",
    "es": "El lun, 2 dic 2024 a las 10:00, Riverside Library (<desk@riverside.example>) escribió:",
    "nl": "Op ma 2 dec. 2024 om 10:00 schreef Riverside Library <desk@riverside.example>:",
    "it": "Il giorno lun 2 dic 2024 alle ore 10:00 Riverside Library <desk@r.example> ha scritto:",
    "pt": "Em seg., 2 de dez. de 2024 às 10:00, Riverside Library <desk@r.example> escreveu:",
    "sv": "Den mån 2 dec. 2024 kl 10:00 skrev Riverside Library <desk@riverside.example>:",
    "pl": "W dniu 2.12.2024 o 10:00, Riverside Library <desk@riverside.example> napisał:",
}


@pytest.mark.parametrize("language", sorted(ATTRIBUTIONS))
def test_attribution_lines_in_several_languages(language):
    text = f"Merci, parfait.\n\n{ATTRIBUTIONS[language]}\n> Your hold is ready.\n> See you soon.\n"
    body = parse_message(message(text)).body_text
    assert body == "Merci, parfait."


def test_attribution_wrapped_over_two_lines():
    text = (
        "Yes please.\n\nOn Mon, Dec 2, 2024 at 10:00 AM Riverside Library <\n"
        "desk@riverside.example> wrote:\n\n> Shall we renew it?\n"
    )
    assert visible_reply(text) == "Yes please."


def test_a_sentence_ending_in_wrote_is_not_an_attribution():
    text = "In 2023 my colleague wrote:\nthe catalogue search is slow.\nIt still is."
    assert visible_reply(text) == text


def test_bottom_posted_answer_is_kept():
    text = "Jane wrote:\n> Can I bring my dog?\n\nOnly guide dogs, sorry."
    assert visible_reply(text) == text


def test_quoted_tail_without_attribution_is_trimmed():
    text = "Done, thanks.\n\n> old line one\n> old line two"
    assert visible_reply(text) == "Done, thanks."


def test_forwarded_message_is_not_trimmed():
    text = (
        "Please see below.\n\n---------- Forwarded message ---------\n"
        "From: Alex <alex@example.com>\nDate: Mon, Dec 2, 2024\nSubject: Noise\n"
        "To: me@example.com\n\nThe reading room is too loud."
    )
    assert "The reading room is too loud." in visible_reply(text)


def test_mobile_footer_is_trimmed():
    assert visible_reply("On my way.\n\nSent from my iPhone") == "On my way."
    assert visible_reply("Bis gleich.\n\nVon meinem iPhone gesendet") == "Bis gleich."


def test_nothing_but_a_quote_keeps_the_quote():
    text = "> only quoted\n> text"
    assert visible_reply(text) == text


def test_interleaved_html_quote_keeps_the_answers():
    html = (
        "<div>Answers inline.</div><blockquote type='cite'>Which floor?</blockquote>"
        "<div>The second.</div><blockquote type='cite'>Which room?</blockquote><div>B.</div>"
    )
    parsed = parse_message(message(html, content_type="text/html; charset=utf-8"))
    assert "The second." in parsed.body_text
    assert parsed.body_text.endswith("B.")
    assert "> Which room?" in parsed.body_text


def test_outlook_desktop_word_html_and_its_swedish_header_block():
    parsed = parse_message(fixture("outlook_desktop_word.eml"))
    expected = "Hej!\n\nVi är sex personer som vill vara med i bokcirkeln i januari.\n\n"
    expected += "Med vänliga hälsningar\nGreta"
    assert parsed.body_text == expected
    assert "Hur många blir ni?" in parsed.body_text_full
    assert parsed.language == "sv"
    # The same reading from the HTML alone (a client that sends no text part).
    top, _plain, html_part, _end = fixture("outlook_desktop_word.eml").split(
        b"--_000_AM0PR02MB5555_"
    )
    headers = top.split(b"Content-Type: multipart/alternative")[0]
    raw = headers + html_part.lstrip(b"\n")
    assert b"text/plain" not in raw
    from_html = parse_message(raw)
    assert from_html.body_text == expected
    assert "Hur många blir ni?" in from_html.body_text_full


def test_thunderbird_italian_reply():
    parsed = parse_message(fixture("thunderbird_plain_reply.eml"))
    assert parsed.body_text == (
        "Grazie mille, passerò a ritirarlo lunedì mattina. Potete tenerlo fino alle dodici?"
    )
    assert parsed.language == "it"


HISTORY = "<div>From: Riverside Library</div><div>Your hold is ready.</div>"


@pytest.mark.parametrize(
    "html",
    [
        f'<div id="divRplyFwdMsg" dir="ltr">{HISTORY}</div>',  # Outlook on the web
        f'<div id="x_divRplyFwdMsg">{HISTORY}</div>',  # the same, forwarded through OWA
        f'<div id="appendonsend"></div><hr>{HISTORY}',  # new Outlook
        f'<span id="OLK_SRC_BODY_SECTION">{HISTORY}</span>',  # Outlook for Mac
        f'<hr id="zwchr">{HISTORY}',  # Zimbra
        f'<div class="gmail_quote">{HISTORY}</div>',
        f'<div id="yahoo_quoted_1234" class="yahoo_quoted">{HISTORY}</div>',
        f'<div class="protonmail_quote">{HISTORY}</div>',
        f'<blockquote type="cite">{HISTORY}</blockquote>',
        f'<div class="moz-cite-prefix">Riverside wrote:</div><blockquote>{HISTORY}</blockquote>',
    ],
)
def test_each_html_history_marker_alone(html):
    body = f"<div>Yes, Thursday suits me.</div>{html}"
    parsed = parse_message(message(body, content_type="text/html; charset=utf-8"))
    assert parsed.body_text == "Yes, Thursday suits me."
    assert "Your hold is ready." in parsed.body_text_full


@pytest.mark.parametrize(
    "signature",
    [
        '<div class="gmail_signature" data-smartmail="gmail_signature">Maya<br>Reader</div>',
        '<div id="Signature">Maya<br>Reader</div>',
        '<div class="moz-signature">-- <br>Maya</div>',
    ],
)
def test_html_signature_blocks(signature):
    body = f"<div>Yes, Thursday suits me.</div>{signature}"
    parsed = parse_message(message(body, content_type="text/html; charset=utf-8"))
    assert parsed.body_text == "Yes, Thursday suits me."
    assert "Maya" in parsed.body_text_full


def test_list_footer_after_a_quote_is_not_an_inline_answer():
    text = (
        "Count me in for Saturday.\n\n"
        "On Mon, 2 Dec 2024 at 10:00, Friends <list@friends.example> wrote:\n"
        "> We need four volunteers.\n\n_______________________________________________\n"
        "Friends mailing list\nhttps://lists.friends.example/listinfo/friends\n"
    )
    assert visible_reply(text) == "Count me in for Saturday."
