"""parse_message on whole messages: structure, attachments, people or machines,
bounded HTML, and never an exception on bad mail."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from frontdesk.connectors.email.htmltext import MAX_HTML_CHARS
from frontdesk.connectors.email.parse import EmailParseError, parse_message

from .helpers import fixture, message


def test_empty_input_is_the_only_error():
    for raw in (b"", b"   \r\n\r\n"):
        with pytest.raises(EmailParseError):
            parse_message(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b"\x00\xff\xfe garbage \x80\x81",
        b"no headers at all, just words",
        b'Content-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\n--x\r\n--x--',
        b"Content-Type: multipart/mixed\r\n\r\nno boundary given",
        b"From: =?utf-8?B?###?= <>\r\nTo: ,,,;;;<@>\r\nDate: yesterday\r\n\r\nbody",
        b"Subject: " + b"=?utf-8?q?" * 5000 + b"\r\n\r\nx",
        b'Content-Type: text/plain; charset="\r\n\r\nunterminated quote',
        b"Content-Type: message/rfc822\r\n\r\nnot really a message",
        b'Content-Type: multipart/related; start="<nope>"; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--',
    ],
)
def test_bad_mail_never_raises(raw):
    parsed = parse_message(raw)
    assert not any(d.startswith("internal:") for d in parsed.defects)


def test_deeply_nested_parts_are_bounded():
    raw = b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
    for depth in range(1, 60):
        raw += (
            f"--b{depth - 1}\r\nContent-Type: multipart/mixed; boundary=b{depth}\r\n\r\n".encode()
        )
    raw += b"--b59\r\nContent-Type: text/plain\r\n\r\ndeep\r\n"
    parsed = parse_message(raw)
    assert any("nested too deep" in d for d in parsed.defects)


def test_headers_dates_and_ids():
    raw = (
        b"From: =?UTF-8?Q?Jos=C3=A9_Garc=C3=ADa?= <Jose@Example.COM>\r\n"
        b'To: "Desk, Riverside" <desk@riverside.example>, other@example.org\r\n'
        b"Cc: =?utf-8?b?w4lsb2TDrWU=?= <elodie@example.fr>\r\n"
        b"Reply-To: replies@example.com\r\n"
        b"Subject: =?utf-8?q?R=C3=A9servation?= du =?utf-8?q?livre?=\r\n"
        b"Date: Mon, 2 Dec 2024 10:00:00 -0000\r\n"
        b"Message-ID: bare-id@example.com\r\n"
        b"In-Reply-To: <parent@example.com> (Pat's message of Sunday)\r\n"
        b"\r\nHello"
    )
    parsed = parse_message(raw)
    assert (parsed.from_name, parsed.from_address) == ("José García", "jose@example.com")
    assert parsed.to == (("Desk, Riverside", "desk@riverside.example"), ("", "other@example.org"))
    assert parsed.cc == (("Élodíe", "elodie@example.fr"),)
    assert parsed.reply_to == (("", "replies@example.com"),)
    assert parsed.subject == "Réservation du livre"
    assert parsed.date == datetime(2024, 12, 2, 10, 0, tzinfo=UTC)
    assert parsed.message_id == "<bare-id@example.com>"
    assert parsed.in_reply_to == "<parent@example.com>"
    assert parsed.headers["subject"] == "Réservation du livre"


def test_unreadable_date_is_none_with_a_defect():
    parsed = parse_message(
        message("x", extra="").replace(b"Mon, 2 Dec 2024 10:00:00 +0000", b"soon")
    )
    assert parsed.date is None
    assert any("unreadable Date" in d for d in parsed.defects)


def test_cid_image_without_disposition_and_attachment_names():
    parsed = parse_message(fixture("cid_without_disposition.eml"))
    assert parsed.body_text == "Hola, el libro llegó con la tapa rota. Adjunto una foto."
    assert '<img src="cid:foto1@example.es">' in parsed.body_html
    photo, pdf, receipt = parsed.attachments
    assert (photo.filename, photo.content_type, photo.inline) == (
        "tapa dañada.jpg",
        "image/jpeg",
        True,
    )
    assert photo.content_id == "foto1@example.es"
    assert photo.data.startswith(b"\xff\xd8\xff")
    assert (pdf.filename, pdf.content_type, pdf.inline) == (
        "attachment-2.pdf",
        "application/pdf",
        False,
    )
    assert pdf.data.startswith(b"%PDF-1.4")
    assert receipt.filename == "recibo nº 7.txt"
    assert receipt.data.strip() == b"Recibo 7"
    assert parsed.language == "es"


def test_attachment_names_are_made_safe():
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nsee file\r\n"
        b"--b\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="..\\\\..\\\\windows\\\\evil\x07.exe"\r\n'
        b"\r\nMZ\r\n--b--"
    )
    (attachment,) = parse_message(raw).attachments
    assert attachment.filename == "evil_.exe"


def test_forwarded_message_becomes_an_eml_attachment():
    raw = (
        b"From: a@example.com\r\nSubject: Fwd\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nSee the complaint below.\r\n"
        b"--b\r\nContent-Type: message/rfc822\r\n\r\n"
        b"From: angry@example.com\r\nSubject: Noise in the reading room\r\n\r\n"
        b"It is too loud.\r\n--b--"
    )
    parsed = parse_message(raw)
    assert parsed.body_text == "See the complaint below."
    (forwarded,) = parsed.attachments
    assert forwarded.filename == "Noise in the reading room.eml"
    assert forwarded.content_type == "message/rfc822"
    assert parse_message(forwarded.data).body_text == "It is too loud."


def test_postfix_bounce_reads_the_delivery_status():
    parsed = parse_message(fixture("bounce_dsn.eml"))
    assert parsed.is_bounce and parsed.is_auto_reply
    assert parsed.bounced_recipients == ("old.patron@example.com",)
    assert parsed.bounce_reason.startswith("5.1.1 550 5.1.1 <old.patron@example.com>: Recipient")
    assert "rejected: User unknown" in parsed.bounce_reason
    assert "could not\nbe delivered" in parsed.body_text_full
    (headers,) = parsed.attachments
    assert (headers.filename, headers.content_type) == ("attachment-1.txt", "text/rfc822-headers")
    assert b"Message-ID: <conv-9.1@riverside.example>" in headers.data


def test_delayed_report_is_not_a_bounce():
    raw = (
        fixture("bounce_dsn.eml")
        .replace(b"Action: failed", b"Action: delayed")
        .replace(b"Status: 5.1.1", b"Status: 4.4.1")
    )
    parsed = parse_message(raw)
    assert not parsed.is_bounce and parsed.bounced_recipients == ()
    assert parsed.is_auto_reply


def test_qmail_bounce_without_a_report_part():
    parsed = parse_message(fixture("bounce_qmail.eml"))
    assert parsed.is_bounce
    assert parsed.bounced_recipients == ("gone@example.org",)
    assert "#5.1.1" in parsed.bounce_reason


def test_out_of_office_is_an_auto_reply():
    parsed = parse_message(fixture("out_of_office.eml"))
    assert parsed.is_auto_reply and not parsed.is_bounce and not parsed.is_list_mail


@pytest.mark.parametrize(
    ("extra", "subject", "auto"),
    [
        ("Auto-Submitted: auto-replied\r\n", "Re: hold", True),
        ("Auto-Submitted: no\r\n", "Re: hold", False),
        ("X-Autoreply: yes\r\n", "Re: hold", True),
        ("X-Autorespond: Your hold\r\n", "Re: hold", True),
        ("Precedence: bulk\r\n", "Re: hold", True),
        ("Precedence: junk\r\n", "Re: hold", True),
        ("Precedence: auto_reply\r\n", "Re: hold", True),
        ("X-Auto-Response-Suppress: OOF, AutoReply\r\n", "Re: hold", True),
        ("Return-Path: <>\r\n", "Re: hold", True),
        ("", "Out of Office: back on Monday", True),
        ("", "Réponse automatique : absent", True),
        ("", "Abwesenheitsnotiz: Urlaub", True),
        ("", "Respuesta automática: vacaciones", True),
        ("", "Re: auto repair manual", False),
        ("", "Re: hold", False),
    ],
)
def test_auto_reply_signals(extra, subject, auto):
    parsed = parse_message(message("I am away.", subject=subject, extra=extra))
    assert parsed.is_auto_reply is auto


def test_list_mail_is_still_human():
    parsed = parse_message(fixture("list_mail.eml"))
    assert parsed.is_list_mail and not parsed.is_auto_reply
    parsed = parse_message(message("x", extra="Precedence: list\r\n"))
    assert parsed.is_list_mail and not parsed.is_auto_reply


def test_html_is_sanitised():
    html = (
        '<p onclick="steal()">Hi <b>there</b><script>alert(1)</script></p>'
        '<a href="javascript:alert(1)">x</a><img src="cid:a1"><iframe src="https://x"></iframe>'
        '<div style="color: red; position: fixed">styled</div><form><input></form>'
    )
    parsed = parse_message(message(html, content_type="text/html; charset=utf-8"))
    assert "script" not in parsed.body_html and "onclick" not in parsed.body_html
    assert "javascript:" not in parsed.body_html and "iframe" not in parsed.body_html
    assert "<input" not in parsed.body_html and "position" not in parsed.body_html
    assert 'src="cid:a1"' in parsed.body_html
    assert "color:red" in parsed.body_html.replace(" ", "")
    assert parsed.body_text == "Hi there\nx\nstyled"


def test_html_to_text_layout():
    html = (
        "<html><head><title>T</title><style>.a{}</style></head><body>"
        "<h1>Notice</h1><p>Opening&nbsp;hours changed.</p><ul><li>Mon 9-5</li><li>Tue 9-7</li></ul>"
        "<ol><li>first</li><li>second</li></ol>"
        '<p>Details: <a href="https://riverside.example/hours">our page</a>.</p>'
        '<div style="display:none">preheader junk</div><table><tr><td>A</td><td>B</td></tr></table>'
        "<pre>  keep\n   spacing</pre></body></html>"
    )
    text = parse_message(message(html, content_type="text/html; charset=utf-8")).body_text_full
    assert text == (
        "Notice\n\nOpening hours changed.\n\n- Mon 9-5\n- Tue 9-7\n\n1. first\n2. second\n\n"
        "Details: our page (https://riverside.example/hours).\n\nA  B\n\n  keep\n   spacing"
    )


def test_a_twenty_thousand_link_message_is_bounded():
    links = "".join(
        f'<a href="https://shop.example/item/{i}?utm=x">Item number {i}</a><br>\n'
        for i in range(20_000)
    )
    html = f"<html><body><p>Our catalogue:</p>{links}</body></html>"
    assert len(html) > MAX_HTML_CHARS
    parsed = parse_message(message(html, content_type="text/html; charset=utf-8"))
    assert any("only the first 500,000 read" in d for d in parsed.defects)
    assert parsed.body_text.startswith(
        "Our catalogue:\nItem number 0 (https://shop.example/item/0?utm=x)"
    )
    assert "Item number 19999" not in parsed.body_text_full
    assert len(parsed.body_html) < len(html)
    assert parsed.body_html.count("<a ") > 1000


def test_plain_text_wins_over_html_in_alternative():
    raw = (
        b"Content-Type: multipart/alternative; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain version\r\n"
        b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>html version</p>\r\n--b--"
    )
    parsed = parse_message(raw)
    assert parsed.body_text == "plain version"
    assert parsed.body_html.strip() == "<p>html version</p>"


def test_apple_mail_text_split_around_a_picture_is_joined():
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nBefore the picture.\r\n"
        b"--b\r\nContent-Type: image/png; name=shelf.png\r\n"
        b"Content-Disposition: inline; filename=shelf.png\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nAfter the picture.\r\n--b--"
    )
    parsed = parse_message(raw)
    assert parsed.body_text == "Before the picture.\n\nAfter the picture."
    (picture,) = parsed.attachments
    assert picture.filename == "shelf.png" and not picture.inline


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hello, I would like to renew the books I borrowed last week, please.", "en"),
        ("Bonjour, je voudrais prolonger les livres que j'ai empruntés la semaine dernière.", "fr"),
        ("Hallo, ich möchte die Bücher verlängern, die ich letzte Woche ausgeliehen habe.", "de"),
        ("Hola, quisiera renovar los libros que tomé prestados la semana pasada, por favor.", "es"),
        ("Hallo, ik wil graag de boeken verlengen die ik vorige week heb geleend.", "nl"),
        ("Ciao, vorrei rinnovare i libri che ho preso in prestito la settimana scorsa.", "it"),
        ("Olá, gostaria de renovar os livros que peguei emprestados na semana passada.", "pt"),
        ("ok thanks", ""),
        ("https://example.com/a/b 12345 !!!", ""),
    ],
)
def test_language_of_the_visible_text(text, language):
    assert parse_message(message(text)).language == language


@pytest.mark.parametrize(
    "value",
    [
        "Maya Patel <Maya.Patel@example.org>",
        "desk@riverside.example",
        "a@example.com, B <b@example.com>,c@example.com",
        "J. R. Smith <jrs@example.com>",
        "o'brien@example.ie",
        "Pat <pat+lib@example.com>, <bare@example.com>",
    ],
)
def test_simple_address_shortcut_agrees_with_the_modern_parser(value):
    from email.policy import default

    from frontdesk.connectors.email.headers import addresses

    modern = [
        (a.display_name, a.addr_spec.lower()) for a in default.header_factory("to", value).addresses
    ]
    assert addresses([value], [], what="to") == modern


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Big Bug bb@bug.com", [("Big Bug", "bb@bug.com")]),
        (
            "tim@example.com concierge@example.com",
            [("", "tim@example.com"), ("", "concierge@example.com")],
        ),
        (
            "Jo@Home <jo@example.com>, tom@example.com",
            [("Jo@Home", "jo@example.com"), ("", "tom@example.com")],
        ),
        (
            ", first@example.com,, second@example.com",
            [("", "first@example.com"), ("", "second@example.com")],
        ),
    ],
)
def test_malformed_address_lists_lose_no_address(value, expected):
    parsed = parse_message(f"From: x@example.com\r\nTo: {value}\r\n\r\nhi".encode())
    assert list(parsed.to) == expected


def test_placeholder_text_part_gives_way_to_the_html():
    article = "".join(
        f"<p>Paragraph {i} of this month's library newsletter.</p>" for i in range(60)
    )
    raw = (
        b"Content-Type: multipart/alternative; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nView this message in a browser.\r\n"
        b"--b\r\nContent-Type: text/html\r\n\r\n" + article.encode() + b"\r\n--b--"
    )
    parsed = parse_message(raw)
    assert parsed.body_text.startswith("Paragraph 0 of this month's library newsletter.")
    assert "Paragraph 59" in parsed.body_text_full
    assert any("HTML read instead" in d for d in parsed.defects)


def test_exchange_non_delivery_report():
    parsed = parse_message(fixture("exchange_ndr.eml"))
    assert parsed.is_bounce and parsed.is_auto_reply
    assert parsed.bounced_recipients == ("nobody@contoso.example",)
    assert "RESOLVER.ADR.RecipientNotFound" in parsed.bounce_reason
    assert parsed.body_text.startswith("Your message to nobody@contoso.example couldn't be")
    (original,) = parsed.attachments
    assert original.content_type == "message/rfc822"
    assert parse_message(original.data).message_id == "<conv-77.1@riverside.example>"


def test_hostile_nesting_is_shown_as_text():
    html = "<blockquote><div>" * 10_000 + "deep inside" + "</div></blockquote>" * 10_000
    parsed = parse_message(message(html, content_type="text/html; charset=utf-8"))
    assert any("nested more than 3,000 deep" in d for d in parsed.defects)
    assert parsed.body_html.startswith("<pre>") and parsed.body_html.endswith("</pre>")
    assert "<blockquote" not in parsed.body_html
    # Quote prefixes are capped, so the text stays the size of the words.
    assert parsed.body_text_full.endswith("deep inside")
    assert len(parsed.body_text_full) < 100


def test_exim_bounce_in_plain_text():
    body = (
        "This message was created automatically by mail delivery software.\r\n\r\n"
        "A message that you sent could not be delivered to one or more of its\r\n"
        "recipients. This is a permanent error. The following address(es) failed:\r\n\r\n"
        "  lost.reader@example.net\r\n"
        "    SMTP error from remote mail server after RCPT TO:<lost.reader@example.net>:\r\n"
        "    550 5.1.1 User unknown\r\n"
    )
    raw = message(
        body,
        subject="Mail delivery failed: returning message to sender",
        sender="Mail Delivery System <Mailer-Daemon@mx.example.net>",
    )
    parsed = parse_message(raw)
    assert parsed.is_bounce and parsed.is_auto_reply
    assert parsed.bounced_recipients == ("lost.reader@example.net",)
    assert parsed.bounce_reason == "550 5.1.1 User unknown"


def test_mutated_mail_never_needs_the_last_resort():
    """Bytes flipped, cut and spliced with MIME and RFC 2047 syntax: every result is
    a real parse, not the whole-message fallback (which would hide a parser bug)."""
    import random

    from .helpers import FIXTURES

    originals = [path.read_bytes() for path in sorted(FIXTURES.iterdir())]
    splices = [b"=?", b"?=", b'"', b"<", b">", b"\r\n", b"\n--", b";", b"*0*=", b"''", b"=\r\n"]
    splices += [b"charset=x-bad", b"\x1b$B", b"<blockquote>", b"<!--", b"<![if", b"\xff\xfe"]
    rng = random.Random(2112)
    for _ in range(400):
        raw = bytearray(rng.choice(originals))
        for _ in range(rng.randint(1, 8)):
            pos = rng.randrange(len(raw)) if raw else 0
            roll = rng.random()
            if roll < 0.3:
                raw[pos : pos + 1] = bytes([rng.randrange(256)])
            elif roll < 0.5:
                del raw[pos : pos + rng.randint(1, 50)]
            elif roll < 0.8:
                raw[pos:pos] = rng.choice(splices)
            else:
                del raw[pos:]
        if not bytes(raw).strip():
            continue
        parsed = parse_message(bytes(raw))
        assert not any(d.startswith("internal:") for d in parsed.defects), bytes(raw)[:200]
