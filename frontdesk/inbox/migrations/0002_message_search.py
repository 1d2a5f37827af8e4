"""Full-text search over message bodies: SQLite FTS5 or a PostgreSQL GIN index.

Only the statements for the database in use run (RunPython checks the vendor).

SQLite: `inbox_message_fts` is an external-content FTS5 table (the text stays in
inbox_message; the index holds only tokens), kept in step by triggers. It indexes the
workspace id as a second column so a query is restricted to one workspace inside the
index. Caution: Django rebuilds a SQLite table for many later ALTERs (new table, copy,
drop, rename), and dropping inbox_message drops these triggers with it. A later
migration that alters inbox_message must run `create_sqlite_search` again (the test
`test_search_triggers_survive_migrations` fails if it does not).

PostgreSQL: a GIN index on to_tsvector('simple', body): no stemming, the same words
as SQLite's unicode61 tokenizer, so both engines find the same messages.
"""

from django.db import migrations

SQLITE_CREATE = [
    """
    CREATE VIRTUAL TABLE IF NOT EXISTS inbox_message_fts USING fts5(
        body, workspace_id,
        content='inbox_message', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER IF NOT EXISTS inbox_message_fts_ai AFTER INSERT ON inbox_message BEGIN
        INSERT INTO inbox_message_fts(rowid, body, workspace_id)
        VALUES (new.id, new.body, new.workspace_id);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS inbox_message_fts_ad AFTER DELETE ON inbox_message BEGIN
        INSERT INTO inbox_message_fts(inbox_message_fts, rowid, body, workspace_id)
        VALUES ('delete', old.id, old.body, old.workspace_id);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS inbox_message_fts_au
    AFTER UPDATE OF body, workspace_id ON inbox_message BEGIN
        INSERT INTO inbox_message_fts(inbox_message_fts, rowid, body, workspace_id)
        VALUES ('delete', old.id, old.body, old.workspace_id);
        INSERT INTO inbox_message_fts(rowid, body, workspace_id)
        VALUES (new.id, new.body, new.workspace_id);
    END
    """,
    "INSERT INTO inbox_message_fts(inbox_message_fts) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS inbox_message_fts_ai",
    "DROP TRIGGER IF EXISTS inbox_message_fts_ad",
    "DROP TRIGGER IF EXISTS inbox_message_fts_au",
    "DROP TABLE IF EXISTS inbox_message_fts",
]
POSTGRES_CREATE = [
    "CREATE INDEX IF NOT EXISTS inbox_message_body_search "
    "ON inbox_message USING gin (to_tsvector('simple', body))",
]
POSTGRES_DROP = ["DROP INDEX IF EXISTS inbox_message_body_search"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


create_sqlite_search = _run({"sqlite": SQLITE_CREATE})


class Migration(migrations.Migration):
    dependencies = [("inbox", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        )
    ]
