"""The parser names the Message-ID of the message a bounce returns (so the channel
need not read the MIME a second time), from the whole returned message or its headers."""

from __future__ import annotations

import pytest

from frontdesk.connectors.email.parse import parse_message

REPORT = (
    "From: MAILER-DAEMON@mx.example.org\r\n"
    "To: desk@riverside.example\r\n"
    "Subject: Undelivered Mail Returned to Sender\r\n"
    "Message-ID: <report-1@mx.example.org>\r\n"
    "MIME-Version: 1.0\r\n"
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
    "\r\n--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
    "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
    "Reporting-MTA: dns; mx.example.org\r\n\r\n"
    "Final-Recipient: rfc822; grace@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
    "--B\r\nContent-Type: {kind}\r\n\r\n"
    "From: Maya Patel via Riverside <desk@riverside.example>\r\n"
    "To: grace@example.org\r\n"
    "Message-ID: <reply-42@riverside.example>\r\n"
    "Subject: Re: Large-print books?\r\n\r\n{body}"
    "--B--\r\n"
)


@pytest.mark.parametrize(
    ("kind", "body"),
    [("message/rfc822", "Yes, on the ground floor.\r\n"), ("text/rfc822-headers", "")],
)
def test_a_bounce_names_the_returned_message(kind, body):
    parsed = parse_message(REPORT.format(kind=kind, body=body).encode())
    assert parsed.is_bounce
    assert parsed.bounced_recipients == ("grace@example.org",)
    assert "User unknown" in parsed.bounce_reason
    assert parsed.bounced_message_id == "<reply-42@riverside.example>"


def test_a_person_s_mail_names_no_returned_message():
    raw = b"From: grace@example.org\r\nTo: desk@x.example\r\nSubject: hi\r\n\r\nHello\r\n"
    assert parse_message(raw).bounced_message_id == ""
