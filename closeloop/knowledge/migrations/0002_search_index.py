"""The article search index, in each database's own full-text engine (closeloop.knowledge.index).

SQLite: an FTS5 table whose rowid is the article id, over text Closeloop tokenised itself
(the ``ascii`` tokenizer leaves those tokens exactly as written). PostgreSQL: a tsvector per
article built literally from the same tokens, with a GIN index, its length in tokens, each
term's weighted frequency per article, and the per-term document counts and totals BM25 needs
(FTS5 keeps those inside its own index).
"""

from django.db import migrations

# Visibility and language ride along (not indexed) so a search never joins the articles.
SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE knowledge_search_fts USING fts5("
    "title, body, visibility UNINDEXED, language UNINDEXED, tokenize='ascii')"
)
SQLITE_DROP = "DROP TABLE IF EXISTS knowledge_search_fts"
# No foreign key to the article table: Django's test flush truncates the tables it knows
# and a reference would stop it; the services keep the index in step with the articles.
POSTGRES_CREATE = (
    "CREATE TABLE knowledge_search_index ("
    " article_id bigint PRIMARY KEY,"
    " vector tsvector NOT NULL,"
    " length integer NOT NULL)",
    "CREATE INDEX knowledge_search_index_vector ON knowledge_search_index USING gin (vector)",
    # Each term's weighted frequency per article (BM25's tf) and the article's length: read
    # from the tsvector, this would cost an unnest of the whole vector per article scored.
    # The article's visibility and language ride along so a search reads postings only.
    "CREATE TABLE knowledge_search_posting ("
    " term text NOT NULL,"
    " article_id bigint NOT NULL,"
    " frequency double precision NOT NULL,"
    " length integer NOT NULL,"
    " visibility varchar(10) NOT NULL,"
    " language varchar(10) NOT NULL,"
    " PRIMARY KEY (term, article_id) INCLUDE (frequency, length, visibility, language))",
    "CREATE INDEX knowledge_search_posting_article ON knowledge_search_posting (article_id)",
    # What FTS5 keeps inside its own index: rows holding each term, rows and tokens in all.
    "CREATE TABLE knowledge_search_term (term text PRIMARY KEY, documents integer NOT NULL)",
    "CREATE TABLE knowledge_search_total ("
    " id smallint PRIMARY KEY CHECK (id = 1),"
    " documents integer NOT NULL,"
    " tokens bigint NOT NULL)",
    "INSERT INTO knowledge_search_total (id, documents, tokens) VALUES (1, 0, 0)",
)
POSTGRES_DROP = (
    "DROP TABLE IF EXISTS knowledge_search_index, knowledge_search_posting, "
    "knowledge_search_term, knowledge_search_total"
)


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
