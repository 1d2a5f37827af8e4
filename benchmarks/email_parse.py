"""Mail parsing speed: `parse_message` (charsets, HTML sanitising, reply trimming,
auto-reply/bounce signals, language) on typical human mail, one core, beside Python's
email package alone on the same messages in the same run (message_from_bytes with
policy.default + get_body + get_content: reading a body and nothing more).

Typical mail = generated replies as common clients write them (Gmail, Outlook, Apple
Mail, plain text; English, French, German, Spanish; some with a quote, a signature, an
inline image or a PDF), plus the human mail of ../shared/corpora/emails/ when present
(plain, MIME and attachment messages; spam and bounces left out). Target: 1,000
messages/s or more on one core.

    .venv/bin/python benchmarks/email_parse.py [--seconds 3] [--no-corpus]
"""

from __future__ import annotations

import argparse
import base64
import email
import email.header
import email.quoprimime
import os
import sys
import time
from email import policy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import log  # noqa: E402
from frontdesk.connectors.email.parse import parse_message  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "emails"
HUMAN_FOLDERS = (
    "mikel_mail/plain_emails",
    "mikel_mail/mime_emails",
    "mikel_mail/attachment_emails",
    "mikel_mail/rfc2822",
    "spamassassin/nice",
    "spamassassin/welcomelists",
)
TARGET = 1000

PEOPLE = [
    ("Maya Patel", "maya.patel@example.org", "en"),
    ("Hélène Lefèvre", "helene@example.fr", "fr"),
    ("Jürgen Groß", "juergen@example.de", "de"),
    ("Inés Núñez", "ines@example.es", "es"),
    ("Daniel Okafor", "daniel.okafor@example.com", "en"),
]
REPLIES = {
    "en": "Thanks for letting me know. I will pick the book up on Thursday afternoon, "
    "could you keep it at the desk until six?",
    "fr": "Merci de m'avoir prévenu. Je passerai chercher le livre jeudi après-midi, "
    "pourriez-vous le garder à l'accueil jusqu'à dix-huit heures ?",
    "de": "Danke für die Nachricht. Ich hole das Buch am Donnerstagnachmittag ab, "
    "könnten Sie es bis sechs Uhr an der Theke aufbewahren?",
    "es": "Gracias por avisarme. Pasaré a recoger el libro el jueves por la tarde, "
    "¿podrían guardarlo en el mostrador hasta las seis?",
}
QUOTE = (
    'Hello,\nyour hold on "The Overstory" is ready at the front desk. It will be kept '
    "for seven days.\nRiverside Library"
)
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(600)).decode()
PDF = base64.encodebytes(b"%PDF-1.4\n" + bytes(3000)).decode()


def _head(name: str, address: str, n: int, content_type: str, subject: str) -> str:
    encoded = email.header.Header(name, "utf-8").encode() if not name.isascii() else name
    return (
        f"Return-Path: <{address}>\r\n"
        f"Received: from mx{n}.example.net (mx{n}.example.net [192.0.2.{n % 250}])\r\n"
        f"\tby mx.riverside.example with ESMTPS id {n:08x}; Mon, 2 Dec 2024 10:00:00 +0000\r\n"
        f"DKIM-Signature: v=1; a=rsa-sha256; d=example.net; s=s1; h=from:to:subject:date;\r\n"
        f"\tbh={'A' * 43}=; b={'B' * 200}\r\n"
        f"From: {encoded} <{address}>\r\n"
        f"To: Riverside Library <desk@riverside.example>\r\n"
        f"Subject: {subject}\r\n"
        f"Date: Mon, 2 Dec 2024 10:{n % 60:02}:00 +0100\r\n"
        f"Message-ID: <msg-{n}@example.net>\r\n"
        f"In-Reply-To: <conv-{n}.1@riverside.example>\r\n"
        f"References: <conv-{n}.0@riverside.example> <conv-{n}.1@riverside.example>\r\n"
        f"MIME-Version: 1.0\r\n"
        f"Content-Type: {content_type}\r\n"
    )


def generated() -> list[bytes]:
    messages = []
    for n in range(40):
        name, address, lang = PEOPLE[n % len(PEOPLE)]
        reply = REPLIES[lang]
        quoted = "\r\n".join(f"> {line}" for line in QUOTE.split("\n"))
        attribution = (
            "On Mon, Dec 2, 2024 at 9:00 AM Riverside Library <desk@riverside.example> wrote:"
        )
        kind = n % 5
        if kind == 0:  # plain text reply with a quote and a signature
            body = f"{reply}\r\n\r\n-- \r\n{name}\r\n\r\n{attribution}\r\n{quoted}\r\n"
            raw = _head(name, address, n, "text/plain; charset=utf-8", "Re: Your hold")
            raw += "Content-Transfer-Encoding: 8bit\r\n\r\n" + body
        elif kind == 1:  # Gmail: alternative, plain + HTML with gmail_quote
            html = (
                f'<div dir="ltr">{reply}</div><br><div class="gmail_quote"><div class="gmail_attr">'
                f'{attribution}<br></div><blockquote class="gmail_quote">'
                f"{QUOTE.replace(chr(10), '<br>')}</blockquote></div>"
            )
            raw = _head(name, address, n, 'multipart/alternative; boundary="000b"', "Re: Your hold")
            plain = email.quoprimime.body_encode(f"{reply}\n\n{attribution}\n{quoted}")
            raw += (
                f'\r\n--000b\r\nContent-Type: text/plain; charset="UTF-8"\r\n'
                f"Content-Transfer-Encoding: quoted-printable\r\n\r\n{plain}\r\n"
                f'--000b\r\nContent-Type: text/html; charset="UTF-8"\r\n'
                f"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                f"{email.quoprimime.body_encode(html)}\r\n--000b--\r\n"
            )
        elif kind == 2:  # Outlook: HTML only, divRplyFwdMsg, an inline logo
            html = (
                f"<html><head><style>p{{margin:0}}</style></head><body><div>{reply}</div>"
                f'<div><img src="cid:logo@x"></div><div id="appendonsend"></div><hr>'
                f'<div id="divRplyFwdMsg"><b>From:</b> Riverside Library<br><b>Sent:</b> Monday'
                f"<br><b>To:</b> {name}<br><b>Subject:</b> Your hold</div><div>{QUOTE}</div>"
                "</body></html>"
            )
            raw = _head(name, address, n, 'multipart/related; boundary="rel"', "RE: Your hold")
            raw += (
                f'\r\n--rel\r\nContent-Type: text/html; charset="utf-8"\r\n'
                f"Content-Transfer-Encoding: base64\r\n\r\n"
                f"{base64.encodebytes(html.encode()).decode()}\r\n"
                f"--rel\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\n"
                f"Content-Transfer-Encoding: base64\r\n\r\n{PNG}\r\n--rel--\r\n"
            )
        elif kind == 3:  # a new message with a PDF attached
            raw = _head(name, address, n, 'multipart/mixed; boundary="mix"', "Receipt for my fine")
            raw += (
                f"\r\n--mix\r\nContent-Type: text/plain; charset=utf-8\r\n"
                f"Content-Transfer-Encoding: 8bit\r\n\r\n{reply}\r\n\r\nSent from my iPhone\r\n"
                f'--mix\r\nContent-Type: application/pdf; name="receipt.pdf"\r\n'
                f'Content-Disposition: attachment; filename="receipt.pdf"\r\n'
                f"Content-Transfer-Encoding: base64\r\n\r\n{PDF}\r\n--mix--\r\n"
            )
        else:  # Apple Mail: alternative with blockquote type=cite
            html = (
                f'<html><body dir="auto"><div>{reply}</div><div><br><blockquote type="cite">'
                f"On 2 Dec 2024, at 09:00, Riverside Library wrote:<br><br></blockquote></div>"
                f'<blockquote type="cite"><div>{QUOTE}</div></blockquote></body></html>'
            )
            raw = _head(
                name, address, n, 'multipart/alternative; boundary="Apple"', "Re: Your hold"
            )
            raw += (
                f"\r\n--Apple\r\nContent-Type: text/plain; charset=utf-8\r\n"
                f"Content-Transfer-Encoding: 8bit\r\n\r\n{reply}\r\n\r\n"
                f"> On 2 Dec 2024, at 09:00, Riverside Library wrote:\r\n{quoted}\r\n"
                f"--Apple\r\nContent-Type: text/html; charset=utf-8\r\n"
                f"Content-Transfer-Encoding: 8bit\r\n\r\n{html}\r\n--Apple--\r\n"
            )
        messages.append(raw.encode("utf-8"))
    return messages


def corpus() -> list[bytes]:
    found = []
    for folder in HUMAN_FOLDERS:
        base = CORPUS / folder
        if base.is_dir():
            found += [p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()]
    return [raw for raw in found if raw.strip()]


def baseline(raw: bytes) -> str:
    msg = email.message_from_bytes(raw, policy=policy.default)
    try:
        part = msg.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
        return part.get_content() if part is not None else ""
    except Exception:
        return ""


def ours(raw: bytes) -> str:
    return parse_message(raw).body_text


def corpus_counts() -> None:
    """Read / readable body / failed over every corpus file, ours beside Python's."""
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "SOURCE.md")
    # read, readable body, failed, body with U+FFFD (undecodable bytes)
    counts = {"email package alone": [0, 0, 0, 0], "frontdesk parse_message": [0, 0, 0, 0]}
    failures: dict[str, list[str]] = {name: [] for name in counts}
    for path in files:
        raw = path.read_bytes()
        for name, function in (
            ("email package alone", _strict_baseline),
            ("frontdesk parse_message", ours),
        ):
            try:
                text = function(raw)
            except Exception as exc:
                counts[name][2] += 1
                failures[name].append(
                    f"{path.relative_to(CORPUS)}: {type(exc).__name__}: {exc}"[:160]
                )
                continue
            counts[name][0] += 1
            counts[name][1] += bool(text.strip())
            counts[name][3] += "\ufffd" in text
    print(f"{len(files)} files in {CORPUS}")
    print(f"{'':28} {'read':>6} {'readable body':>14} {'failed':>7} {'with U+FFFD':>12}")
    for name, (read, readable, failed, replaced) in counts.items():
        print(f"{name:28} {read:>6} {readable:>14} {failed:>7} {replaced:>12}")
    for name, lines in failures.items():
        for line in lines:
            print(f"  {name} failed: {line}")


def _strict_baseline(raw: bytes) -> str:
    msg = email.message_from_bytes(raw, policy=policy.default)
    part = msg.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
    return part.get_content() if part is not None else ""


def measure(function, messages: list[bytes], seconds: float) -> float:
    """Messages per CPU second of this process (one core: the process is pinned and
    single-threaded) over whole passes through `messages` for about `seconds`. CPU
    time, not wall time, so other work on a shared machine does not count against it."""
    done, started = 0, time.process_time()
    while True:
        for raw in messages:
            function(raw)
        done += len(messages)
        elapsed = time.process_time() - started
        if elapsed >= seconds:
            return done / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (best kept)")
    parser.add_argument("--no-corpus", action="store_true", help="generated messages only")
    parser.add_argument(
        "--corpus-counts",
        action="store_true",
        help="only count read / readable body / failed over every corpus file, both parsers",
    )
    options = parser.parse_args()
    if options.corpus_counts:
        corpus_counts()
        return 0
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        log(f"pinned to CPU {cpu}")
    messages = generated()
    extra = [] if options.no_corpus else corpus()
    log(
        f"{len(messages)} generated + {len(extra)} corpus messages "
        f"({sum(map(len, messages + extra)) // (len(messages) + len(extra))} bytes on average)"
    )
    messages += extra
    for raw in messages:  # warm up: imports, the language models, mimetypes
        ours(raw)
        baseline(raw)
    best_base = best_ours = 0.0
    for round_number in range(1, options.rounds + 1):
        base_rate = measure(baseline, messages, options.seconds)
        our_rate = measure(ours, messages, options.seconds)
        best_base, best_ours = max(best_base, base_rate), max(best_ours, our_rate)
        log(f"round {round_number}: baseline {base_rate:,.0f}/s, parse_message {our_rate:,.0f}/s")
    print()
    print(f"{'':40} {'messages/s':>12}")
    print(f"{'email package alone (get_body+content)':40} {best_base:>12,.0f}")
    print(f"{'frontdesk parse_message':40} {best_ours:>12,.0f}")
    print(f"ratio parse_message / baseline: {best_ours / best_base:.2f}")
    verdict = "met" if best_ours >= TARGET else "NOT met"
    print(f"target >= {TARGET:,} typical messages/s on one core: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
