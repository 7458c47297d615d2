"""The article search index, in each database's own full-text engine (closeloop.knowledge.index).

SQLite: an FTS5 table whose rowid is the article id, over text Closeloop tokenised itself
(the ``ascii`` tokenizer leaves those tokens exactly as written). PostgreSQL: a tsvector per
article built literally from the same tokens, with a GIN index, and its length in tokens.
"""

from django.db import migrations

SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE knowledge_search_fts USING fts5(title, body, tokenize='ascii')"
)
SQLITE_DROP = "DROP TABLE IF EXISTS knowledge_search_fts"
POSTGRES_CREATE = (
    "CREATE TABLE knowledge_search_index ("
    " article_id bigint PRIMARY KEY REFERENCES knowledge_article (id)"
    " ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,"
    " vector tsvector NOT NULL,"
    " length integer NOT NULL)",
    "CREATE INDEX knowledge_search_index_vector ON knowledge_search_index USING gin (vector)",
)
POSTGRES_DROP = "DROP TABLE IF EXISTS knowledge_search_index"


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)
    elif vendor == "postgresql":
        for statement in POSTGRES_CREATE:
            schema_editor.execute(statement)
    else:  # pragma: no cover - Closeloop runs on these two
        raise RuntimeError(f"Closeloop's article search needs SQLite or PostgreSQL, not {vendor}")


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    schema_editor.execute(SQLITE_DROP if vendor == "sqlite" else POSTGRES_DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
