"""`frontdesk email parse PATH [PATH ...] [--json]`: run the mail parser on files or
folders (recursively) and show what it read. Stores nothing, touches no database.

The management command `frontdesk email` is a thin wrapper over `run`; this module
also runs alone: ``python -m frontdesk.connectors.email.cli parse PATH --json``.

With ``--json`` each file gives one line, a JSON object with exactly the keys in
`JSON_KEYS`: "from" is the sender's address, "to" a list of addresses, "date" ISO 8601
or null. Files that could not be read have ``"ok": false``, the reason in "error" and
null in every other field (``[]`` for "to" and "attachments"). Without it, a summary
per file and a last line ``N read, N with a readable body, N failed``.

Exit status: 0 when it ran (even if some files failed to parse), 2 on a usage error
(no path, or a path that does not exist).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from frontdesk.connectors.email.parse import EmailParseError, ParsedEmail, parse_message

JSON_KEYS = (
    "path", "ok", "error", "subject", "from", "to", "date", "message_id", "in_reply_to",
    "body_text", "body_text_full_chars", "attachments", "is_auto_reply", "is_bounce",
    "is_list_mail", "language",
)  # fmt: skip
# Above this a file is not one mail (SMTP servers refuse far less).
MAX_FILE_BYTES = 100 * 1024 * 1024
# More files than this and a progress bar is shown even when stderr is not a terminal.
PROGRESS_OVER = 20
USAGE = "usage: frontdesk email parse PATH [PATH ...] [--json]"


class Stream(Protocol):
    def write(self, text: str, /) -> object: ...

    def flush(self) -> None: ...


def find_files(paths: Sequence[str]) -> list[Path]:
    """The files named, and every file under the folders named (sorted, hidden files
    and folders skipped, symbolic links to folders not followed)."""
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            for folder, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                found += [Path(folder) / f for f in sorted(filenames) if not f.startswith(".")]
        else:
            found.append(path)
    return found


def read_file(path: Path) -> tuple[ParsedEmail | None, str | None]:
    """(parsed mail, None) or (None, why it failed). Never raises."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, f"too large for one mail ({size:,} bytes)"
        raw = path.read_bytes()
    except OSError as exc:
        return None, f"could not read the file: {exc.strerror or exc}"
    if not raw.strip():
        return None, "empty file: no message in it"
    try:
        return parse_message(raw), None
    except EmailParseError as exc:
        return None, str(exc)


def as_record(path: str, parsed: ParsedEmail | None, error: str | None) -> dict[str, Any]:
    """The JSON object for one file (keys exactly `JSON_KEYS`, in that order)."""
    record: dict[str, Any] = dict.fromkeys(JSON_KEYS)
    record.update(path=path, ok=parsed is not None, error=error, to=[], attachments=[])
    if parsed is None:
        return record
    record.update(
        subject=parsed.subject,
        to=[address for _name, address in parsed.to],
        date=parsed.date.isoformat() if parsed.date else None,
        message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        body_text=parsed.body_text,
        body_text_full_chars=len(parsed.body_text_full),
        attachments=[
            {"filename": a.filename, "content_type": a.content_type, "size": a.size}
            for a in parsed.attachments
        ],
        is_auto_reply=parsed.is_auto_reply,
        is_bounce=parsed.is_bounce,
        is_list_mail=parsed.is_list_mail,
        language=parsed.language,
    )
    record["from"] = parsed.from_address
    return record


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def summary(path: str, parsed: ParsedEmail | None, error: str | None) -> str:
    """The readable block for one file."""
    if parsed is None:
        return f"{path}\n  FAILED: {error}\n"
    sender = (
        f"{parsed.from_name} <{parsed.from_address}>" if parsed.from_name else parsed.from_address
    )
    flags = [
        label
        for label, on in (
            ("auto-reply", parsed.is_auto_reply),
            ("bounce", parsed.is_bounce),
            ("list mail", parsed.is_list_mail),
        )
        if on
    ]
    lines = [
        path,
        f"  From:     {sender or '-'}",
        f"  To:       {', '.join(a for _n, a in parsed.to) or '-'}",
        f"  Subject:  {parsed.subject or '-'}",
        f"  Date:     {parsed.date.isoformat() if parsed.date else '-'}",
        f"  Language: {parsed.language or '-'}    Kind: {', '.join(flags) or 'person'}",
    ]
    if parsed.in_reply_to:
        lines.append(f"  Replying: {parsed.in_reply_to}")
    if parsed.is_bounce:
        lines.append(f"  Bounced:  {', '.join(parsed.bounced_recipients) or '-'}")
        if parsed.bounce_reason:
            lines.append(f"  Reason:   {parsed.bounce_reason[:200]}")
    for attachment in parsed.attachments:
        where = ", inline" if attachment.inline else ""
        lines.append(
            f"  Attached: {attachment.filename} ({attachment.content_type}, "
            f"{_size(attachment.size)}{where})"
        )
    body = parsed.body_text.strip()
    lines.append(f"  Body:     {len(body):,} of {len(parsed.body_text_full):,} characters shown")
    preview = [line for line in body.splitlines() if line.strip()][:4]
    lines += [f"    | {line[:100]}" for line in preview]
    if parsed.defects:
        lines.append(f"  Worked around: {'; '.join(parsed.defects[:6])}")
        if len(parsed.defects) > 6:
            lines[-1] += f" (+{len(parsed.defects) - 6} more)"
    return "\n".join(lines) + "\n"


class _Progress:
    """A one-line bar on a terminal; a line every tenth of the way elsewhere."""

    def __init__(self, stream: Stream, total: int) -> None:
        isatty = getattr(stream, "isatty", None)
        self.stream = stream
        self.total = total
        self.tty = bool(isatty()) if callable(isatty) else False
        self.on = total > 0 and (self.tty or total > PROGRESS_OVER)
        self.last_step = -1
        self.last_draw = 0.0

    def update(self, done: int) -> None:
        if not self.on:
            return
        if self.tty:
            now = time.monotonic()
            if done < self.total and now - self.last_draw < 0.1:
                return
            self.last_draw = now
            width = 30
            filled = width * done // self.total
            bar = "#" * filled + "." * (width - filled)
            self.stream.write(f"\rparsing [{bar}] {done}/{self.total}")
        else:
            step = 10 * done // self.total
            if step == self.last_step:
                return
            self.last_step = step
            self.stream.write(f"parsed {done}/{self.total} files\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.on and self.tty:
            self.stream.write("\n")
            self.stream.flush()


def run(paths: Sequence[str], as_json: bool, stdout: Stream, stderr: Stream) -> int:
    """Parse every file under `paths`, print the result, return the exit status."""
    if not paths:
        stderr.write(f"{USAGE}\nfrontdesk email parse: give at least one file or folder\n")
        return 2
    missing = [name for name in paths if not os.path.exists(name)]
    if missing:
        for name in missing:
            stderr.write(f"frontdesk email parse: no such file or folder: {name}\n")
        return 2
    files = find_files(paths)
    progress = _Progress(stderr, len(files))
    read = readable = failed = 0
    for done, path in enumerate(files, start=1):
        parsed, error = read_file(path)
        if parsed is None:
            failed += 1
        else:
            read += 1
            readable += bool(parsed.body_text.strip())
        if as_json:
            stdout.write(json.dumps(as_record(str(path), parsed, error), ensure_ascii=False) + "\n")
        else:
            stdout.write(summary(str(path), parsed, error) + "\n")
        progress.update(done)
    progress.finish()
    if not as_json:
        stdout.write(f"{read} read, {readable} with a readable body, {failed} failed\n")
    stdout.flush()
    return 0


def add_parse_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of `email parse`, shared with the management command."""
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="Mail files or folders (read recursively)."
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="One JSON object per file and line, for scripts.",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="frontdesk email", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_parse_arguments(
        commands.add_parser("parse", help="Parse mail files and show what was read.")
    )
    options = parser.parse_args(argv)
    return run(options.paths, options.json, sys.stdout, sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
