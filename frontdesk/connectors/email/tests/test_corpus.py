"""Real mail from public test corpora (../shared/corpora/emails/, see its SOURCE.md):
every message parses without the parser's last-resort fallback, and a few known
ones read as they should."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest

from frontdesk.connectors.email.parse import parse_message

ROOT = Path(__file__).resolve().parents[4]
CORPUS = ROOT.parent / "shared" / "corpora" / "emails"

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="no ../shared/corpora/emails here")


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "SOURCE.md")


def python_alone(raw: bytes) -> str:
    """What Python's email package reads as the body, or "" when it raises."""
    try:
        msg = email.message_from_bytes(raw, policy=policy.default)
        part = msg.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""
    except Exception:
        return ""


def test_every_corpus_message_parses():
    files = corpus_files()
    assert len(files) >= 50
    readable = readable_by_python = 0
    for path in files:
        raw = path.read_bytes()
        if not raw.strip():
            continue
        parsed = parse_message(raw)
        assert not [d for d in parsed.defects if d.startswith("internal:")], path
        readable += bool(parsed.body_text.strip())
        readable_by_python += bool(python_alone(raw).strip())
        if python_alone(raw).strip() and not parsed.body_text.strip():
            # Python found text where we found none: only an HTML body with nothing
            # but markup (an image) may do that.
            assert parsed.body_html and not parsed.body_text_full, path
    assert readable >= readable_by_python


def read(name: str):
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"{name} is not in this corpus slice")
    return parse_message(path.read_bytes())


def test_multi_address_bounce():
    parsed = read("mikel_mail/multipart_report_emails/multi_address_bounce2.eml")
    assert parsed.is_bounce
    assert len(parsed.bounced_recipients) == 5
    assert "bbbbvhvbbvkjbhfbvbvjhb@gmail.com" in parsed.bounced_recipients
    assert parsed.bounce_reason.startswith("5.1.1 550-5.1.1 The email account")


def test_iso_2022_jp_message():
    parsed = read("spamassassin/nice/cjk/iso-2022-jp.2")
    assert parsed.language == "ja"
    assert not any("replaced" in d for d in parsed.defects)


def test_big5_and_gb2312_messages():
    for name, language in (
        ("spamassassin/nice/cjk/big5-base64.1", "zh"),
        ("spamassassin/nice/cjk/gb2312.2", "zh"),
    ):
        parsed = read(name)
        assert parsed.language == language, name
        assert "\ufffd" not in parsed.body_text_full[:2000], name


def test_utf16_message():
    parsed = read("spamassassin/spam/utf16.eml")
    assert parsed.body_text.strip()
    assert "\x00" not in parsed.body_text_full
