"""Full-text search over messages and contacts, within one workspace.

SQLite: the FTS5 table `inbox_message_fts` (migration 0002), which also indexes the
workspace id, so the index itself keeps one workspace's matches. PostgreSQL: the
GIN index on to_tsvector('simple', body), queried with websearch_to_tsquery.

Both engines get the same query, built here from the user's text: words must all
appear, "quoted words" must appear as a phrase, and nothing else the user types
is query syntax (an OR, a minus or a stray quote is just text).

Matches come newest first with a LIMIT, never ranked: ranking scores every match,
which for a common word is tens of thousands of rows (DESIGN.md, "The inbox at a
million messages"); newest-first lets the engine stop after a page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q

from frontdesk.core.models import Contact, Workspace
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
            # The headline is computed for the page of hits only, never for every match.
            cursor.execute(
                """
                WITH q AS (SELECT websearch_to_tsquery('simple', %s) AS query),
                hits AS (
                    SELECT m.id, m.conversation_id, m.body
                    FROM inbox_message m, q
                    WHERE m.workspace_id = %s
                      AND to_tsvector('simple', m.body) @@ q.query
                    ORDER BY m.id DESC
                    LIMIT %s
                )
                SELECT hits.id, hits.conversation_id,
                       ts_headline('simple', hits.body, q.query, %s)
                FROM hits, q
                ORDER BY hits.id DESC
                """,
                [
                    websearch_expression(query),
                    workspace.pk,
                    limit,
                    f'StartSel="{MARK_START}", StopSel="{MARK_END}", '
                    "MaxWords=24, MinWords=8, ShortWord=2, MaxFragments=1",
                ],
            )
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            raise NotImplementedError(connection.vendor)
        return cursor.fetchall()


def search_conversations(workspace: Workspace, text: str, *, limit: int = 20) -> list[SearchHit]:
    """Conversations whose messages, or whose customer's name or addresses, match.

    Customer matches come first (a name is the surest sign), then conversations by
    their newest matching message, each once, with that message's snippet.
    """
    query = parse_query(text)
    if query.is_empty:
        return []
    hits: dict[int, SearchHit] = {}
    conversations = Conversation.objects.for_workspace(workspace).select_related(
        "contact", "channel", "assignee"
    )

    # Customers first, by name or address (a few hundred at most per workspace
    # match a search word; their conversations are then read by the contact index).
    contact_filter = Q()
    for term in query.terms:
        phrase = " ".join(term)
        contact_filter &= Q(name__icontains=phrase) | Q(identities__value__icontains=phrase)
    contact_ids = (
        Contact.objects.for_workspace(workspace)
        .filter(contact_filter)
        .values_list("pk", flat=True)
        .distinct()[: limit * OVERFETCH]
    )
    for conversation in conversations.filter(contact_id__in=list(contact_ids)).order_by(
        "-last_message_at", "-id"
    )[:limit]:
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
        found = conversations.in_bulk(list(wanted))
        for conversation_id, marked in wanted.items():
            if conversation_id in found:
                snippet = marked.replace(MARK_START, "").replace(MARK_END, "")
                hits[conversation_id] = SearchHit(found[conversation_id], snippet, _parts(marked))
    return list(hits.values())[:limit]
