"""`frontdesk sources try KIND --query "TERMS" [--base-url URL] [--json]`: one poll.

KIND is mastodon, bluesky, reddit, hackernews or rss. The adapter polling uses runs
once from an empty cursor and the candidates it found are printed as
{"source", "external_id", "url", "author", "author_url", "text", "published",
"reach"}; nothing is stored. Credentials come from options or the environment:
--token / FRONTDESK_MASTODON_TOKEN, --token / FRONTDESK_BLUESKY_TOKEN or --handle +
--app-password / FRONTDESK_BLUESKY_HANDLE + FRONTDESK_BLUESKY_APP_PASSWORD,
--client-id + --client-secret / FRONTDESK_REDDIT_CLIENT_ID +
FRONTDESK_REDDIT_CLIENT_SECRET. Exit 0 when the poll ran, 1 when the source
failed (the reason on stderr), 2 on usage errors.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontdesk.connectors.base import Candidate, Connector, ConnectorError
from frontdesk.connectors.bluesky.adapter import BlueskyAccount, BlueskyConnector
from frontdesk.connectors.hackernews.adapter import HackerNewsAccount, HackerNewsConnector
from frontdesk.connectors.listening_common import fold_words
from frontdesk.connectors.mastodon.adapter import MastodonAccount, MastodonConnector
from frontdesk.connectors.reddit.adapter import RedditAccount, RedditConnector
from frontdesk.connectors.rss.adapter import FeedAccount, FeedConnector

KINDS = ("mastodon", "bluesky", "reddit", "hackernews", "rss")


def candidate_json(kind: str, candidate: Candidate) -> dict[str, Any]:
    published = candidate.published_at
    text = candidate.body
    if candidate.title and candidate.title not in text:
        text = f"{candidate.title}\n\n{text}".strip()
    return {
        "source": kind,
        "external_id": candidate.source_id,
        "url": candidate.url,
        "author": candidate.author_handle or candidate.author_name,
        "author_url": candidate.author_url,
        "text": text,
        "published": published.isoformat().replace("+00:00", "Z") if published else None,
        "reach": dict(candidate.reach),
    }


def _env(option: str, name: str) -> str:
    return option or os.environ.get(name, "")


def adapter_for(kind: str, options: dict[str, Any]) -> tuple[Connector[Any], Any]:
    """The connector and its account record built from options and environment."""
    query, base = options["query"] or "", options["base_url"] or ""
    contact = options["contact"] or ""
    if kind == "mastodon":
        return MastodonConnector(), MastodonAccount(
            url=base or "https://mastodon.social",
            query=query,
            access_token=_env(options["token"], "FRONTDESK_MASTODON_TOKEN"),
            mode=options["mode"] or "",
            contact=contact,
        )
    if kind == "bluesky":
        return BlueskyConnector(), BlueskyAccount(
            url=base or "https://bsky.social",
            query=query,
            access_token=_env(options["token"], "FRONTDESK_BLUESKY_TOKEN"),
            handle=_env(options["handle"], "FRONTDESK_BLUESKY_HANDLE"),
            app_password=_env(options["app_password"], "FRONTDESK_BLUESKY_APP_PASSWORD"),
            contact=contact,
        )
    if kind == "reddit":
        return RedditConnector(), RedditAccount(
            url=base or "https://oauth.reddit.com",
            auth_url=base,
            query=query,
            client_id=_env(options["client_id"], "FRONTDESK_REDDIT_CLIENT_ID"),
            client_secret=_env(options["client_secret"], "FRONTDESK_REDDIT_CLIENT_SECRET"),
            contact=contact,
        )
    if kind == "hackernews":
        return HackerNewsConnector(), HackerNewsAccount(
            url=base or "https://hn.algolia.com", query=query, contact=contact
        )
    url = options["url"] or base
    if not url and query.startswith(("http://", "https://")):
        url, options["query"] = query, ""
    if not url:
        raise CommandError("rss needs the feed's (or page's) address: --url URL.", returncode=2)
    return FeedConnector(), FeedAccount(url=url, contact=contact)


def matches(candidate: Candidate, query: str) -> bool:
    """Every word of `query` in the post (case- and accent-insensitive)."""
    words = set(fold_words(f"{candidate.title} {candidate.body} {candidate.author_name}"))
    return all(word in words for word in fold_words(query))


class Command(BaseCommand):
    help = (
        "Try a listening source once with the adapter polling uses, storing nothing: "
        "`sources try KIND --query TERMS` for mastodon, bluesky, reddit, hackernews, rss."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="ACTION")
        try_ = sub.add_parser("try", help="Poll a source once and print its candidates.")
        try_.add_argument("kind", choices=KINDS)
        try_.add_argument("--query", default="", help="What to search for (rss: a filter).")
        try_.add_argument("--base-url", default="", help="Another host (self-hosted, stand-in).")
        try_.add_argument("--url", default="", help="rss: the feed's or a page's address.")
        try_.add_argument("--json", action="store_true", help="Print a JSON array.")
        try_.add_argument("--token", default="", help="Mastodon / Bluesky access token.")
        try_.add_argument("--handle", default="", help="Bluesky handle.")
        try_.add_argument("--app-password", default="", help="Bluesky app password.")
        try_.add_argument("--client-id", default="", help="Reddit app client id.")
        try_.add_argument("--client-secret", default="", help="Reddit app client secret.")
        try_.add_argument("--mode", choices=("tag", "search"), help="Mastodon: tag or search.")
        try_.add_argument("--contact", default="", help="Contact in the crawler User-Agent.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("action") != "try":
            raise CommandError("Say what to do: `frontdesk sources try KIND ...`.", returncode=2)
        kind = options["kind"]
        if kind != "rss" and not options["query"].strip():
            raise CommandError(f"{kind} needs --query TERMS.", returncode=2)
        connector, account = adapter_for(kind, options)
        print(f"Polling {kind} once…", file=sys.stderr, flush=True)
        try:
            result = connector.poll(account, {})
        except ConnectorError as error:
            kind_of = "permanent" if error.permanent else "temporary"
            raise CommandError(
                f"{kind} failed ({kind_of}): {error.message}", returncode=1
            ) from None
        candidates = list(result.candidates)
        if kind == "rss" and options["query"].strip():
            candidates = [c for c in candidates if matches(c, options["query"])]
        print(f"{len(candidates)} candidates.", file=sys.stderr, flush=True)
        rows = [candidate_json(kind, c) for c in candidates]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            reach = ", ".join(f"{k} {v}" for k, v in row["reach"].items())
            self.stdout.write(
                f"• {row['published'] or 'undated'}  {row['author'] or '(unknown)'}"
                f"{f'  [{reach}]' if reach else ''}\n  {row['url']}\n  "
                + " ".join(row["text"].split())[:280]
            )
        if result.next_poll_after:
            self.stdout.write(f"\nNext poll in {int(result.next_poll_after // 60)} minutes.")
