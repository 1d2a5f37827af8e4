"""Building test messages: small, readable, and byte-exact where it matters."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def message(
    body: bytes | str,
    *,
    content_type: str = "text/plain; charset=utf-8",
    cte: str | None = None,
    subject: str = "Test",
    extra: str = "",
    sender: str = "Pat Doe <pat@example.com>",
) -> bytes:
    """A one-part message with the given raw body bytes."""
    head = (
        f"From: {sender}\r\n"
        "To: desk@riverside.example\r\n"
        f"Subject: {subject}\r\n"
        "Date: Mon, 2 Dec 2024 10:00:00 +0000\r\n"
        "Message-ID: <t1@example.com>\r\n"
        "MIME-Version: 1.0\r\n"
        f"Content-Type: {content_type}\r\n"
    )
    if cte:
        head += f"Content-Transfer-Encoding: {cte}\r\n"
    head += extra
    raw_body = body.encode("utf-8") if isinstance(body, str) else body
    return head.encode("utf-8") + b"\r\n" + raw_body
