"""`frontdesk email parse`: the same parser over files and folders, JSON or a
summary, exit 0 when it ran and 2 on usage errors."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from frontdesk.connectors.email.cli import JSON_KEYS, main, run

from .helpers import FIXTURES

ROOT = Path(__file__).resolve().parents[4]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def mail_folder(tmp_path):
    folder = tmp_path / "mail"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(FIXTURES / "gmail_html_reply.eml", folder / "a.eml")
    shutil.copy(FIXTURES / "bounce_dsn.eml", folder / "sub" / "b.eml")
    shutil.copy(FIXTURES / "cid_without_disposition.eml", folder / "sub" / "c")
    (folder / "empty.eml").write_bytes(b"")
    (folder / ".hidden").write_bytes(b"Subject: skipped\r\n\r\nx")
    return folder


def test_json_lines_have_exactly_the_documented_keys(mail_folder):
    out, err = io.StringIO(), io.StringIO()
    assert run([str(mail_folder)], True, out, err) == 0
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [Path(r["path"]).name for r in records] == ["a.eml", "empty.eml", "b.eml", "c"]
    for record in records:
        assert tuple(record) == JSON_KEYS
    gmail, empty, bounce, cid = records
    assert gmail["ok"] and gmail["error"] is None
    assert gmail["from"] == "maya.patel@example.org"
    assert gmail["to"] == ["desk@riverside.example"]
    assert gmail["date"] == "2024-12-03T09:14:07-08:00"
    assert gmail["message_id"] == "<CAF=abc123@mail.gmail.com>"
    assert gmail["in_reply_to"] == "<conv-42.1@riverside.example>"
    assert gmail["body_text"].startswith("Thanks! I will pick it up")
    assert gmail["body_text_full_chars"] > len(gmail["body_text"])
    assert gmail["language"] == "en"
    assert not empty["ok"] and empty["error"] == "empty file: no message in it"
    assert empty["subject"] is None and empty["attachments"] == []
    assert bounce["is_bounce"] and bounce["is_auto_reply"] and not bounce["is_list_mail"]
    assert cid["attachments"][0] == {
        "filename": "tapa dañada.jpg",
        "content_type": "image/jpeg",
        "size": 134,
    }
    assert err.getvalue() == ""


def test_summary_ends_with_the_counts(mail_folder):
    out, err = io.StringIO(), io.StringIO()
    assert (
        run(
            [str(mail_folder / "a.eml"), str(mail_folder / "sub"), str(mail_folder / "empty.eml")],
            False,
            out,
            err,
        )
        == 0
    )
    text = out.getvalue()
    assert text.splitlines()[-1] == "3 read, 3 with a readable body, 1 failed"
    assert "Subject:  Re: Your hold is ready" in text
    assert "Bounced:  old.patron@example.com" in text
    assert "FAILED: empty file" in text
    assert "Attached: tapa dañada.jpg (image/jpeg, 134 bytes, inline)" in text


def test_usage_errors_exit_2(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    assert run([], False, out, err) == 2
    assert "usage:" in err.getvalue()
    err = io.StringIO()
    assert run([str(tmp_path / "nope.eml")], True, out, err) == 2
    assert "no such file or folder" in err.getvalue()
    assert out.getvalue() == ""
    with pytest.raises(SystemExit) as exit_info:
        main(["parse"])
    assert exit_info.value.code == 2


def test_progress_bar_for_many_files(tmp_path):
    for i in range(25):
        shutil.copy(FIXTURES / "list_mail.eml", tmp_path / f"{i:02}.eml")
    out, err = io.StringIO(), io.StringIO()
    assert run([str(tmp_path)], True, out, err) == 0
    assert len(out.getvalue().splitlines()) == 25
    assert "parsed 25/25 files" in err.getvalue()
    out, tty = io.StringIO(), Terminal()
    assert run([str(tmp_path / "00.eml")], False, out, tty) == 0
    assert tty.getvalue().startswith("\rparsing [") and tty.getvalue().endswith("1/1\n")


def test_as_a_process(mail_folder):
    command = [
        sys.executable,
        "-m",
        "frontdesk.connectors.email.cli",
        "parse",
        str(mail_folder),
        "--json",
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 4 and all(tuple(json.loads(line)) == JSON_KEYS for line in lines)
    done = subprocess.run(
        [*command[:4], str(mail_folder / "missing")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 2 and "no such file or folder" in done.stderr
    done = subprocess.run(command[:4], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 2 and "usage:" in done.stderr


def test_management_command_wraps_the_same_run(mail_folder):
    from django.core.management import call_command

    from frontdesk.channels.email.management.commands.email import Command

    out = io.StringIO()
    call_command(Command(), "parse", str(mail_folder), stdout=out, stderr=io.StringIO())
    assert out.getvalue().splitlines()[-1] == "3 read, 3 with a readable body, 1 failed"
    out = io.StringIO()
    call_command(Command(), "parse", str(mail_folder / "a.eml"), "--json", stdout=out)
    assert json.loads(out.getvalue())["subject"] == "Re: Your hold is ready"
    with pytest.raises(SystemExit) as exit_info:
        call_command(Command(), "parse", str(mail_folder / "missing"), stderr=io.StringIO())
    assert exit_info.value.code == 2
