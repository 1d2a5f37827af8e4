"""Indexes the inbox needs at a million messages (benchmarks/inbox_at_scale.py found them).

Conversations: a covering (workspace, status, assignee) index for the sidebar counts,
and (workspace, contact, recency) for a customer's other conversations.

Message search on PostgreSQL: a stored `search_vector` column (generated from the
body, 'simple' config as before) replaces the expression index. The GIN index alone
cannot check a phrase (it keeps no word positions) and a newest-first scan for a
common word tests rows one by one: both then ran to_tsvector() on every candidate
row, 30-250 ms at a million messages, where reading a stored vector costs ~1 ms.
The column is not a model field (Django never reads or writes it); the database
fills it. The index keeps its name, inbox_message_body_search.

Customer search by name or address (substring, as `icontains` matched before) is
indexed too, for terms of 3 characters or more:
- PostgreSQL: pg_trgm GIN indexes on core_contact.name and core_contactidentity.value
  (ILIKE uses them). pg_trgm is a trusted extension: the database owner may create
  it (PostgreSQL 13+).
- SQLite: FTS5 tables with the trigram tokenizer (SQLite 3.34+), external content on
  the two core tables, kept in step by triggers like inbox_message_fts (0002).
  The same caution applies: a later migration that makes Django rebuild
  core_contact or core_contactidentity on SQLite drops these triggers and must run
  `create_sqlite_contact_search` again (test_search_indexes.py fails if not).
"""

from django.db import migrations, models

SQLITE_CONTACT_SEARCH = [
    """
    CREATE VIRTUAL TABLE IF NOT EXISTS inbox_contact_name_fts USING fts5(
        name, content='core_contact', content_rowid='id', tokenize='trigram'
    )
    """,
    """
    CREATE TRIGGER IF NOT EXISTS inbox_contact_name_fts_ai AFTER INSERT ON core_contact BEGIN
        INSERT INTO inbox_contact_name_fts(rowid, name) VALUES (new.id, new.name);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS inbox_contact_name_fts_ad AFTER DELETE ON core_contact BEGIN
        INSERT INTO inbox_contact_name_fts(inbox_contact_name_fts, rowid, name)
        VALUES ('delete', old.id, old.name);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS inbox_contact_name_fts_au
    AFTER UPDATE OF name ON core_contact BEGIN
        INSERT INTO inbox_contact_name_fts(inbox_contact_name_fts, rowid, name)
        VALUES ('delete', old.id, old.name);
        INSERT INTO inbox_contact_name_fts(rowid, name) VALUES (new.id, new.name);
    END
    """,
    """
    CREATE VIRTUAL TABLE IF NOT EXISTS inbox_identity_value_fts USING fts5(
        value, content='core_contactidentity', content_rowid='id', tokenize='trigram'
    )
    """,
    """
    CREATE TRIGGER IF NOT EXISTS inbox_identity_value_fts_ai
    AFTER INSERT ON core_contactidentity BEGIN
        INSERT INTO inbox_identity_value_fts(rowid, value) VALUES (new.id, new.value);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS inbox_identity_value_fts_ad
    AFTER DELETE ON core_contactidentity BEGIN
        INSERT INTO inbox_identity_value_fts(inbox_identity_value_fts, rowid, value)
        VALUES ('delete', old.id, old.value);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS inbox_identity_value_fts_au
    AFTER UPDATE OF value ON core_contactidentity BEGIN
        INSERT INTO inbox_identity_value_fts(inbox_identity_value_fts, rowid, value)
        VALUES ('delete', old.id, old.value);
        INSERT INTO inbox_identity_value_fts(rowid, value) VALUES (new.id, new.value);
    END
    """,
    "INSERT INTO inbox_contact_name_fts(inbox_contact_name_fts) VALUES ('rebuild')",
    "INSERT INTO inbox_identity_value_fts(inbox_identity_value_fts) VALUES ('rebuild')",
]
SQLITE_CONTACT_SEARCH_DROP = [
    "DROP TRIGGER IF EXISTS inbox_contact_name_fts_ai",
    "DROP TRIGGER IF EXISTS inbox_contact_name_fts_ad",
    "DROP TRIGGER IF EXISTS inbox_contact_name_fts_au",
    "DROP TABLE IF EXISTS inbox_contact_name_fts",
    "DROP TRIGGER IF EXISTS inbox_identity_value_fts_ai",
    "DROP TRIGGER IF EXISTS inbox_identity_value_fts_ad",
    "DROP TRIGGER IF EXISTS inbox_identity_value_fts_au",
    "DROP TABLE IF EXISTS inbox_identity_value_fts",
]
POSTGRES_CREATE = [
    "ALTER TABLE inbox_message ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED",
    "DROP INDEX IF EXISTS inbox_message_body_search",
    "CREATE INDEX inbox_message_body_search ON inbox_message USING gin (search_vector)",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS core_contact_name_trgm "
    "ON core_contact USING gin (name gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS core_identity_value_trgm "
    "ON core_contactidentity USING gin (value gin_trgm_ops)",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS core_identity_value_trgm",
    "DROP INDEX IF EXISTS core_contact_name_trgm",
    "DROP INDEX IF EXISTS inbox_message_body_search",
    "ALTER TABLE inbox_message DROP COLUMN IF EXISTS search_vector",
    "CREATE INDEX inbox_message_body_search "
    "ON inbox_message USING gin (to_tsvector('simple', body))",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


create_sqlite_contact_search = _run({"sqlite": SQLITE_CONTACT_SEARCH})


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("inbox", "0003_conversation_attention"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(
                fields=["workspace", "status", "assignee"], name="conv_ws_status_assignee"
            ),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(
                fields=["workspace", "contact", "-last_message_at", "-id"],
                name="conv_ws_contact_recent",
            ),
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_CONTACT_SEARCH, "postgresql": POSTGRES_CREATE}),
            _run({"sqlite": SQLITE_CONTACT_SEARCH_DROP, "postgresql": POSTGRES_DROP}),
        ),
    ]
