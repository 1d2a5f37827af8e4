"""`frontdesk feeds parse SOURCE [SOURCE ...] [--json]`: read feeds as polling would.

SOURCE is a file, a folder (every file in it, recursively) or a URL (a web page's
announced feed is found and read). The very same code as polling parses each one;
nothing is stored. One object per feed:
{"source", "ok", "error", "format", "title", "link", "entries",
 "items": [{"id", "url", "canonical_url", "title", "author", "published", "text"}]}.
Exit 0 when it ran (a feed that failed is `ok: false` with the reason), 2 on usage
errors. Progress goes to stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontdesk.connectors.base import Candidate, ConnectorError
from frontdesk.connectors.listening_common import canonical_url
from frontdesk.connectors.rss.adapter import FeedAccount, read_feed
from frontdesk.connectors.rss.parse import ParsedFeed, parse_feed

SKIPPED_NAMES = {"SOURCE.md", "README.md", "LICENSE"}


def item_of(candidate: Candidate) -> dict[str, Any]:
    published = candidate.published_at
    return {
        "id": candidate.source_id,
        "url": candidate.url,
        "canonical_url": canonical_url(candidate.url),
        "title": candidate.title,
        "author": candidate.author_name or candidate.author_handle,
        "published": published.isoformat().replace("+00:00", "Z") if published else None,
        "text": candidate.body,
    }


def report_of(source: str, feed: ParsedFeed | None, error: str = "") -> dict[str, Any]:
    if feed is None:
        return {
            "source": source,
            "ok": False,
            "error": error or "Unknown error.",
            "format": None,
            "title": None,
            "link": None,
            "entries": 0,
            "items": [],
        }
    return {
        "source": source,
        "ok": True,
        "error": None,
        "format": feed.format,
        "title": feed.title,
        "link": feed.link,
        "entries": len(feed.entries),
        "items": [item_of(c) for c in feed.entries],
    }


def expand(source: str) -> list[str]:
    """A URL as is; a folder as its files (sorted, hidden and notes skipped)."""
    if source.startswith(("http://", "https://")):
        return [source]
    path = Path(source)
    if path.is_dir():
        return [
            str(p)
            for p in sorted(path.rglob("*"))
            if p.is_file()
            and p.name not in SKIPPED_NAMES
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
        ]
    return [source]


def parse_one(source: str, *, contact: str = "") -> dict[str, Any]:
    """Parse one file or URL into its report object; never raises."""
    try:
        if source.startswith(("http://", "https://")):
            _fetched, feed, _notes = read_feed(FeedAccount(url=source, contact=contact))
            if feed is None:
                return report_of(source, None, "The server answered 304 to a plain request.")
            return report_of(source, feed)
        path = Path(source)
        if not path.exists():
            return report_of(source, None, f"No such file or folder: {source}")
        # A file has no address to resolve relative links against: they stay relative.
        return report_of(source, parse_feed(path.read_bytes()))
    except ConnectorError as error:
        return report_of(source, None, error.message)
    except OSError as error:
        return report_of(source, None, f"Could not read {source}: {error.strerror or error}")
    except Exception as error:  # a parser bug must not lose the other feeds' results
        return report_of(source, None, f"Unexpected error: {type(error).__name__}: {error}")


class Command(BaseCommand):
    help = (
        "Diagnose feeds with the code polling uses, storing nothing. "
        "`feeds parse SOURCE ...`: SOURCE is a file, a folder or a URL (a page URL: the "
        "feed it announces). --json prints a JSON array, one object per feed."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="ACTION")
        parse = sub.add_parser("parse", help="Parse feeds and print what polling would see.")
        parse.add_argument("sources", nargs="+", metavar="SOURCE")
        parse.add_argument("--json", action="store_true", help="Print a JSON array.")
        parse.add_argument("--contact", default="", help="Contact in the crawler User-Agent.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("action") != "parse":
            raise CommandError("Say what to do: `frontdesk feeds parse SOURCE ...`.", returncode=2)
        missing = [
            given
            for given in options["sources"]
            if not given.startswith(("http://", "https://")) and not Path(given).exists()
        ]
        if missing:
            raise CommandError(f"No such file or folder: {', '.join(missing)}", returncode=2)
        sources = [one for given in options["sources"] for one in expand(given)]
        if not sources:
            raise CommandError("No feed files found in what was given.", returncode=2)
        reports = []
        for number, source in enumerate(sources, 1):
            print(f"[{number}/{len(sources)}] {source}", file=sys.stderr, flush=True)
            reports.append(parse_one(source, contact=options["contact"]))
        if options["json"]:
            self.stdout.write(json.dumps(reports, ensure_ascii=False, indent=2))
            return
        for report in reports:
            self.stdout.write(self.summary(report))
        good = sum(1 for r in reports if r["ok"])
        with_entries = sum(1 for r in reports if r["entries"])
        self.stdout.write(
            f"\n{len(reports)} feeds: {good} read ({with_entries} with entries), "
            f"{len(reports) - good} failed."
        )

    @staticmethod
    def summary(report: dict[str, Any]) -> str:
        if not report["ok"]:
            return f"✗ {report['source']}\n    {report['error']}"
        lines = [
            f"✓ {report['source']}",
            f"    {report['format']} · {report['title'] or '(no title)'} · {report['link'] or '-'}"
            f" · {report['entries']} entries",
        ]
        for item in report["items"][:5]:
            text = " ".join(item["text"].split())
            lines.append(
                f"    - {item['published'] or 'undated'}  {item['title'] or text[:60] or '(empty)'}"
            )
            if item["url"]:
                lines.append(f"      {item['url']}")
        if report["entries"] > 5:
            lines.append(f"    … and {report['entries'] - 5} more")
        return "\n".join(lines)
