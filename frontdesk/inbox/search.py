"""Full-text search over messages and contacts, within one workspace.

SQLite: the FTS5 table `inbox_message_fts` (migration 0002), which also indexes the
workspace id, so the index itself keeps one workspace's matches. PostgreSQL: the
stored `search_vector` column (to_tsvector('simple', body), migration 0004) and its
GIN index, queried with websearch_to_tsquery. Customers are found by substring of
their name or an address through trigram indexes (migration 0004).

Both engines get the same query, built here from the user's text: words must all
appear, "quoted words" must appear as a phrase, and nothing else the user types
is query syntax (an OR, a minus or a stray quote is just text).

Matches come newest first with a LIMIT, never ranked: ranking scores every match,
which for a common word is tens of thousands of rows (DESIGN.md, "The inbox at a
million messages"); newest-first lets the engine stop after a page. The tsquery is
written into the statement, not computed in a CTE, so PostgreSQL's planner sees how
rare the words are: a GIN lookup for rare words, a newest-first walk that stops
after a page for common ones (benchmarks/inbox_at_scale.py measures both).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import connection

from frontdesk.core.models import Workspace
from frontdesk.inbox.models import Conversation

# Marks the matched words inside a snippet; private-use characters, which no
# message contains, so splitting on them is safe. Pages show `snippet_parts`.
MARK_START, MARK_END = "\ue000", "\ue001"
WORD = re.compile(r"\w+", re.UNICODE)
# Matches fetched per wanted conversation: one chatty conversation can hold several.
OVERFETCH = 4


@dataclass(frozen=True)
class SearchQuery:
    words: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.words and not self.phrases

    @property
    def terms(self) -> tuple[tuple[str, ...], ...]:
        """Every term as a tuple of words (a single word is a one-word phrase)."""
        return tuple((word,) for word in self.words) + self.phrases


def parse_query(text: str) -> SearchQuery:
    """Split a search box's text into words and "quoted phrases"."""
    words: list[str] = []
    phrases: list[tuple[str, ...]] = []
    parts = (text or "").split('"')
    for index, part in enumerate(parts):
        tokens = tuple(WORD.findall(part.lower()))
        inside_quotes = index % 2 == 1 and index < len(parts) - 1
        if inside_quotes and len(tokens) > 1:
            phrases.append(tokens)
        else:
            words.extend(tokens)
    return SearchQuery(words=tuple(dict.fromkeys(words)), phrases=tuple(phrases))


def fts5_expression(query: SearchQuery, workspace_id: int) -> str:
    # Every term in double quotes: FTS5 then treats it as a string (a phrase when
    # it has several words), never as an operator such as OR, NOT or NEAR.
    terms = " AND ".join('"' + " ".join(term) + '"' for term in query.terms)
    return f'workspace_id : "{int(workspace_id)}" AND ({terms})'


def websearch_expression(query: SearchQuery) -> str:
    # websearch_to_tsquery: "a b" is a phrase (a <-> b), terms side by side are ANDed;
    # quoting each term keeps words like "or" from being read as operators.
    return " ".join('"' + " ".join(term) + '"' for term in query.terms)


@dataclass(frozen=True)
class SearchHit:
    conversation: Conversation
    snippet: str
    snippet_parts: list[tuple[str, bool]] = field(default_factory=list)
    matched: str = "message"  # or "contact"


def _parts(marked: str) -> list[tuple[str, bool]]:
    parts: list[tuple[str, bool]] = []
    for chunk in marked.split(MARK_START):
        if MARK_END in chunk:
            hit, rest = chunk.split(MARK_END, 1)
            parts += [(hit, True), (rest, False)]
        else:
            parts.append((chunk, False))
    return [(text, hit) for text, hit in parts if text]


def _message_matches(workspace: Workspace, query: SearchQuery, limit: int) -> list[tuple]:
    """(message id, conversation id, marked snippet), newest first."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                """
                SELECT m.id, m.conversation_id,
                       snippet(inbox_message_fts, 0, %s, %s, '…', 16)
                FROM inbox_message_fts
                JOIN inbox_message m ON m.id = inbox_message_fts.rowid
                WHERE inbox_message_fts MATCH %s AND m.workspace_id = %s
                ORDER BY inbox_message_fts.rowid DESC
                LIMIT %s
                """,
                [MARK_START, MARK_END, fts5_expression(query, workspace.pk), workspace.pk, limit],
            )
        elif connection.vendor == "postgresql":
            # The headline (which parses the body again) is computed only for the
            # newest hit of each conversation, never for every match.
            expression = websearch_expression(query)
            cursor.execute(
                """
                WITH hits AS (
                    SELECT m.id, m.conversation_id, m.body
                    FROM inbox_message m
                    WHERE m.workspace_id = %s
                      AND m.search_vector @@ websearch_to_tsquery('simple', %s)
                    ORDER BY m.id DESC
                    LIMIT %s
                ),
                newest AS (
                    SELECT DISTINCT ON (conversation_id) id, conversation_id, body
                    FROM hits ORDER BY conversation_id, id DESC
                )
                SELECT id, conversation_id,
                       ts_headline('simple', body, websearch_to_tsquery('simple', %s), %s)
                FROM newest
                ORDER BY id DESC
                """,
                [
                    workspace.pk,
                    expression,
                    limit,
                    expression,
                    f'StartSel="{MARK_START}", StopSel="{MARK_END}", '
                    "MaxWords=24, MinWords=8, ShortWord=2, MaxFragments=1",
                ],
            )
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            raise NotImplementedError(connection.vendor)
        return cursor.fetchall()


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# Trigram indexes find substrings of at least this many characters; shorter terms
# are matched by scanning the workspace's customers (correct, only slower).
TRIGRAM = 3
# A term found in more names (or addresses) than this, such as a mail domain everyone
# uses, reads only this many of them: the page shows a few customers, never all,
# and the cost stays bounded (every match would otherwise be read to sort them).
CUSTOMER_MATCHES_READ = 500


def _contact_matches(workspace: Workspace, query: SearchQuery, limit: int) -> list[int]:
    """Ids of the workspace's customers whose name or an address contains every
    term (case-insensitive substrings), most recently updated first."""
    clauses: list[str] = []
    params: list[object] = []
    cap = CUSTOMER_MATCHES_READ
    for term in query.terms:
        text = " ".join(term)
        if connection.vendor == "sqlite" and len(text) >= TRIGRAM:
            # Quoted: the trigram tokenizer then matches the text as a substring.
            # CROSS JOIN keeps SQLite reading the index first and each match's row
            # second (the other way round it queries the index once per customer).
            clauses.append(
                "c.id IN (SELECT id FROM (SELECT n.id FROM inbox_contact_name_fts f"
                " CROSS JOIN core_contact n ON n.id = f.rowid"
                " WHERE inbox_contact_name_fts MATCH %s AND n.workspace_id = %s LIMIT %s)"
                " UNION SELECT contact_id FROM (SELECT i.contact_id FROM inbox_identity_value_fts f"
                " CROSS JOIN core_contactidentity i ON i.id = f.rowid"
                " WHERE inbox_identity_value_fts MATCH %s AND i.workspace_id = %s LIMIT %s))"
            )
            params += [f'"{text}"', workspace.pk, cap, f'"{text}"', workspace.pk, cap]
        elif connection.vendor == "sqlite":
            clauses.append(
                "(c.name LIKE %s ESCAPE '\\' OR c.id IN (SELECT contact_id"
                " FROM core_contactidentity WHERE workspace_id = %s"
                " AND value LIKE %s ESCAPE '\\'))"
            )
            params += [_like_pattern(text), workspace.pk, _like_pattern(text)]
        else:
            # ILIKE on the plain columns is what the pg_trgm GIN indexes serve.
            clauses.append(
                "c.id IN (SELECT id FROM (SELECT id FROM core_contact"
                " WHERE workspace_id = %s AND name ILIKE %s LIMIT %s) n"
                " UNION SELECT contact_id FROM (SELECT contact_id FROM core_contactidentity"
                " WHERE workspace_id = %s AND value ILIKE %s LIMIT %s) i)"
            )
            like = _like_pattern(text)
            params += [workspace.pk, like, cap, workspace.pk, like, cap]
    # SQLite would otherwise walk every customer of the workspace by its index and
    # test each against the matches; the unary + keeps it on the (few) matched ids.
    workspace_test = (
        "+c.workspace_id = %s" if connection.vendor == "sqlite" else "c.workspace_id = %s"
    )
    # The clauses are fixed text from above; every value is a parameter.
    sql = (
        f"SELECT c.id FROM core_contact c WHERE {workspace_test} AND "  # noqa: S608
        + " AND ".join(clauses)
        + " ORDER BY c.updated_at DESC, c.id DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [workspace.pk, *params, limit])  # type: ignore[list-item]
        return [row[0] for row in cursor.fetchall()]


def search_conversations(workspace: Workspace, text: str, *, limit: int = 20) -> list[SearchHit]:
    """Conversations whose messages, or whose customer's name or addresses, match.

    Customer matches come first (a name is the surest sign), then conversations by
    their newest matching message, each once, with that message's snippet.
    """
    query = parse_query(text)
    if query.is_empty:
        return []
    hits: dict[int, SearchHit] = {}
    # Identities come along: a customer without a name is shown by their address.
    conversations = (
        Conversation.objects.for_workspace(workspace)
        .select_related("contact", "channel", "assignee")
        .prefetch_related("contact__identities")
    )

    # Customers first, by name or address (a few hundred at most per workspace
    # match a search word; their conversations are then read by the contact index).
    contact_ids = _contact_matches(workspace, query, limit * OVERFETCH)
    if contact_ids:
        # Sorted here: a handful of rows, and an ORDER BY tempts SQLite into walking
        # the whole workspace by recency instead of using the contact index.
        theirs = sorted(
            conversations.filter(contact_id__in=contact_ids).order_by(),
            key=lambda c: (c.last_message_at, c.pk),
            reverse=True,
        )
        for conversation in theirs[:limit]:
            name = conversation.contact.display_name
            hits[conversation.pk] = SearchHit(conversation, name, [(name, True)], matched="contact")

    if len(hits) < limit:
        rows = _message_matches(workspace, query, (limit - len(hits)) * OVERFETCH)
        wanted: dict[int, str] = {}
        for _message_id, conversation_id, marked in rows:
            if conversation_id not in hits and conversation_id not in wanted:
                wanted[conversation_id] = marked
            if len(hits) + len(wanted) >= limit:
                break
        # order_by(): the model's default order would make SQLite read these by
        # recency across the workspace instead of by primary key.
        found = conversations.order_by().in_bulk(list(wanted))
        for conversation_id, marked in wanted.items():
            if conversation_id in found:
                snippet = marked.replace(MARK_START, "").replace(MARK_END, "")
                hits[conversation_id] = SearchHit(found[conversation_id], snippet, _parts(marked))
    return list(hits.values())[:limit]
