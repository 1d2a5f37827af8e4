"""What is measured: the pages, their whole HTTP responses, and the raw SQL they run.

For each page the run records
- HTTP: whole-response latency through `frontdesk serve` (keep-alive, signed in);
- app: the same request in-process through Django's test client (no server, no
  socket): the difference to HTTP is the serving cost;
- SQL: the statements the page ran, captured with CaptureQueriesContext from that
  in-process request and replayed on a raw cursor (each fetched in full). That is
  the floor the page cannot beat, DESIGN.md's table measured again in this run.

Until the inbox pages exist (frontdesk/inbox/urls.py), the SQL comes from calling
frontdesk/inbox/queries.py and search.py the way a page would, and HTTP is skipped.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from typing import Any
from urllib.parse import quote

from benchmarks.inbox_scale.corpus import COMMON_WORD, PHRASE_TEXT, RARE_WORD
from benchmarks.inbox_scale.serving import HttpSession

TARGET_MS = 50.0
CURSOR_LINK = re.compile(r'href="([^"]*[?&](?:amp;)?cursor=[^"]+)"')


def percentile(samples: list[float], share: float) -> float:
    """Nearest-rank percentile (p95 of 200 samples is the 190th smallest)."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summary(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50": round(percentile(ms, 0.50), 3),
        "p95": round(percentile(ms, 0.95), 3),
        "max": round(max(ms), 3),
    }


@dataclass
class Page:
    key: str
    label: str
    path: str  # HTTP path ("" when the page does not exist yet)
    target: bool = True  # held to the 50 ms p95 target
    http: dict | None = None
    app: dict | None = None
    sql: dict | None = None
    statements: list[dict] = field(default_factory=list)
    queries: int = 0
    skipped_writes: int = 0
    response_bytes: int = 0
    notes: list[str] = field(default_factory=list)
    profile: dict | None = None

    def as_json(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "path": self.path,
            "target_ms": TARGET_MS if self.target else None,
            "http_ms": self.http,
            "app_ms": self.app,
            "sql_ms": self.sql,
            "queries": self.queries,
            "skipped_writes": self.skipped_writes,
            "response_bytes": self.response_bytes,
            "statements": self.statements,
            "notes": self.notes,
            "profile": self.profile,
            "result": self.result,
        }

    @property
    def result(self) -> str:
        if not self.target:
            return "-"
        if self.http is None:
            return "n/a"
        return "PASS" if self.http["p95"] < TARGET_MS else "FAIL"


# --- which pages ----------------------------------------------------------------------------------


def inbox_urls_ready() -> bool:
    from django.urls import NoReverseMatch, reverse

    try:
        for name, kwargs in (
            ("inbox:list", {"ws": "x"}),
            ("inbox:conversation", {"ws": "x", "number": 1}),
            ("inbox:search", {"ws": "x"}),
        ):
            reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return False
    return True


def search_path(slug: str, text: str) -> str:
    from django.urls import reverse

    return reverse("inbox:search", kwargs={"ws": slug}) + "?q=" + quote(text)


def pages(meta: dict, counts: dict[str, int], deep_page: int) -> list[Page]:
    slug = meta["workspace_slug"]
    ready = inbox_urls_ready()
    if ready:
        from django.urls import reverse

        list_path = reverse("inbox:list", kwargs={"ws": slug})
        detail_path = reverse(
            "inbox:conversation", kwargs={"ws": slug, "number": meta["detail_number"]}
        )
    else:
        list_path = detail_path = ""

    def search(text: str) -> str:
        return search_path(slug, text) if ready else ""

    return [
        Page("baseline", "baseline: GET /healthz (no page)", "/healthz", target=False),
        Page("list_first", "inbox list, page 1 + sidebar counts", list_path),
        Page("list_deep", f"inbox list, page {deep_page} (keyset) + counts", ""),
        Page("conversation", f"conversation, {meta['detail_messages']} messages", detail_path),
        Page(
            "search_rare",
            f"search rare word ({counts['rare']:,} matches)",
            search(RARE_WORD),
        ),
        Page(
            "search_phrase",
            f'search "phrase" ({counts["phrase"]:,} matches)',
            search(f'"{PHRASE_TEXT}"'),
        ),
        Page(
            "search_common",
            f"search common word ({counts['common']:,} matches)",
            search(COMMON_WORD),
        ),
    ]


def follow_cursor_links(session: HttpSession, first_path: str, pages_deep: int) -> str:
    """The URL of page `pages_deep`, reached by following each page's older-page link."""
    path, seen = first_path, set()
    for _ in range(pages_deep - 1):
        status, _, body, _ = session.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
        links = [unescape(href) for href in CURSOR_LINK.findall(body.decode())]
        fresh = [link for link in links if link not in seen]
        if not fresh:
            raise RuntimeError(f"no next-page link (cursor=) on {path}")
        seen.update(links)
        path = fresh[-1]
        if not path.startswith("/"):
            path = first_path.split("?")[0] + path
    return path


# --- HTTP ----------------------------------------------------------------------------------


def time_http(session: HttpSession, path: str, *, warmup: int, repeat: int) -> tuple[dict, int]:
    for _ in range(warmup):
        status, _, body, _ = session.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
    samples = []
    size = 0
    for _ in range(repeat):
        status, _, body, elapsed = session.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
        samples.append(elapsed)
        size = len(body)
    return summary(samples), size


def concurrent_http(
    port: int, cookies: dict[str, str], paths: list[str], *, clients: int, seconds: float
) -> dict:
    """`clients` keep-alive connections requesting `paths` round-robin for `seconds`."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client(offset: int) -> None:
        session = HttpSession(port)
        session.cookies = dict(cookies)
        mine, index = [], offset
        try:
            while time.perf_counter() < stop_at:
                status, _, _, elapsed = session.request("GET", paths[index % len(paths)])
                index += 1
                if status != 200:
                    errors.append(f"{status} for {paths[index % len(paths)]}")
                    return
                mine.append(elapsed)
        finally:
            session.close()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    result = summary(latencies) if latencies else {"n": 0}
    result |= {
        "clients": clients,
        "requests_per_s": round(len(latencies) / wall, 1),
        "errors": errors[:5],
    }
    return result


# --- SQL, captured in-process and replayed ---------------------------------------------


def capture_request(client: Any, path: str) -> tuple[list[str], int]:
    """The SQL one in-process request runs, and its status code."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    return [q["sql"] for q in captured.captured_queries], response.status_code


def capture_call(call: Callable[[], Any]) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return [q["sql"] for q in captured.captured_queries]


def is_read(sql: str) -> bool:
    head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
    return head in ("SELECT", "WITH", "VALUES")


def time_statements(statements: list[str], *, warmup: int, repeat: int) -> tuple[dict, list[dict]]:
    """Replay the read statements on a raw cursor: per page total and per statement."""
    from django.db import connection

    reads = [sql for sql in statements if is_read(sql)]
    per_statement: list[list[float]] = [[] for _ in reads]
    totals = []
    with connection.cursor() as cursor:
        for round_number in range(warmup + repeat):
            total = 0.0
            for index, sql in enumerate(reads):
                started = time.perf_counter()
                cursor.execute(sql)
                cursor.fetchall()
                elapsed = time.perf_counter() - started
                total += elapsed
                if round_number >= warmup:
                    per_statement[index].append(elapsed)
            if round_number >= warmup:
                totals.append(total)
    details = [
        {"sql": sql, **summary(samples)} for sql, samples in zip(reads, per_statement, strict=True)
    ]
    return (summary(totals) if totals else {"n": 0, "p50": 0.0, "p95": 0.0, "max": 0.0}), details


def time_inprocess(client: Any, path: str, *, warmup: int, repeat: int) -> dict:
    for _ in range(warmup):
        client.get(path)
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"in-process GET {path} answered {response.status_code}")
        samples.append(time.perf_counter() - started)
    return summary(samples)


def queries_py_calls(meta: dict, deep_page: int) -> dict[str, Callable[[], Any]]:
    """What each page needs from queries.py / search.py, called as a view would."""
    from frontdesk.core.models import Membership, Workspace
    from frontdesk.inbox import queries, search

    workspace = Workspace.objects.get(slug=meta["workspace_slug"])
    member = Membership.objects.get(workspace=workspace, user__email=meta["email"])
    # The list's default order, when queries.py offers one ("attention" first).
    options = {"order": "attention"} if "attention" in getattr(queries, "ORDERS", ()) else {}
    cursor = None
    for _ in range(deep_page - 1):
        cursor = queries.inbox_page(workspace, member=member, before=cursor, **options).next_cursor

    def list_page(before: str | None) -> Callable[[], Any]:
        def call() -> Any:
            page = queries.inbox_page(workspace, member=member, before=before, **options)
            return page, queries.sidebar_counts(workspace, member)

        return call

    def conversation() -> Any:
        found = queries.access_conversation(workspace, meta["detail_number"])
        return queries.conversation_timeline(found), list(queries.contact_history(found))

    def searching(text: str) -> Callable[[], Any]:
        return lambda: search.search_conversations(workspace, text, limit=30)

    return {
        "list_first": list_page(None),
        "list_deep": list_page(cursor),
        "conversation": conversation,
        "search_rare": searching(RARE_WORD),
        "search_phrase": searching(f'"{PHRASE_TEXT}"'),
        "search_common": searching(COMMON_WORD),
    }
