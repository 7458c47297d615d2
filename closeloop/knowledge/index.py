"""Writing the article search index (table made by migration 0002_search_index).

Only published articles are in it, internal ones too (visibility is filtered when searching).
Both databases get the same tokens (``text.tokenize``), in two columns: the title, and the
rest (summary, body text, example questions). Each distinct token keeps at most
``MAX_OCCURRENCES`` occurrences per article, on both databases, because a PostgreSQL tsvector
keeps at most 256 positions per lexeme; the row length is the count of tokens kept, so
FTS5's and our PostgreSQL BM25 see the same term frequencies and document lengths.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.db import connection

from closeloop.knowledge.markdown import plain_text
from closeloop.knowledge.models import Article, ArticleStatus
from closeloop.knowledge.text import tokenize

SQLITE_TABLE = "knowledge_search_fts"
POSTGRES_TABLE = "knowledge_search_index"
MAX_OCCURRENCES = 200
WEIGHT_TITLE = "A"  # PostgreSQL weight letters; FTS5 tells columns apart by position
WEIGHT_BODY = "D"


def article_tokens(
    *, title: str, summary: str, body_html: str, questions: str
) -> tuple[list[str], list[str]]:
    """The (title, body) tokens indexed for an article, occurrences capped per token."""
    seen: Counter[str] = Counter()

    def capped(tokens: Iterable[str]) -> list[str]:
        kept = []
        for token in tokens:
            if seen[token] < MAX_OCCURRENCES:
                seen[token] += 1
                kept.append(token)
        return kept

    title_tokens = capped(tokenize(title))
    body_text = "\n".join((summary, plain_text(body_html), questions))
    return title_tokens, capped(tokenize(body_text))


def tsvector_literal(title_tokens: list[str], body_tokens: list[str]) -> str:
    """A tsvector written out, one lexeme per distinct token, weight A per title occurrence and
    D per body occurrence (positions only number the occurrences; phrases are not searched)."""
    weights: dict[str, list[str]] = {}
    for token in title_tokens:
        weights.setdefault(token, []).append(WEIGHT_TITLE)
    for token in body_tokens:
        weights.setdefault(token, []).append(WEIGHT_BODY)
    lexemes = []
    for token, letters in weights.items():
        positions = ",".join(
            f"{number}{'' if letter == WEIGHT_BODY else letter}"
            for number, letter in enumerate(letters, start=1)
        )
        lexemes.append(f"'{_quote(token)}':{positions}")
    return " ".join(lexemes)


def tsquery_literal(terms: Iterable[str]) -> str:
    """A tsquery matching any of ``terms``: ``'a' | 'b'``."""
    return " | ".join(f"'{_quote(term)}'" for term in terms)


def _quote(token: str) -> str:
    # Tokens are letters and digits only; escaping anyway keeps a literal a literal.
    return token.replace("\\", "\\\\").replace("'", "''")


def index_article(article: Article) -> None:
    """Put the article in the index as it is now, or take it out when it is not published."""
    if article.status != ArticleStatus.PUBLISHED:
        index_remove(article.pk)
        return
    title_tokens, body_tokens = article_tokens(
        title=article.title,
        summary=article.summary,
        body_html=article.body_html,
        questions=article.questions,
    )
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"DELETE FROM {SQLITE_TABLE} WHERE rowid = %s", [article.pk])  # noqa: S608
            cursor.execute(
                f"INSERT INTO {SQLITE_TABLE} (rowid, title, body) VALUES (%s, %s, %s)",  # noqa: S608
                [article.pk, " ".join(title_tokens), " ".join(body_tokens)],
            )
        else:
            cursor.execute(
                f"INSERT INTO {POSTGRES_TABLE} (article_id, vector, length) "  # noqa: S608
                "VALUES (%s, %s::tsvector, %s) ON CONFLICT (article_id) "
                "DO UPDATE SET vector = EXCLUDED.vector, length = EXCLUDED.length",
                [
                    article.pk,
                    tsvector_literal(title_tokens, body_tokens),
                    len(title_tokens) + len(body_tokens),
                ],
            )


def index_remove(article_id: int) -> None:
    """Take one article out of the index (nothing happens when it is not in it)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"DELETE FROM {SQLITE_TABLE} WHERE rowid = %s", [article_id])  # noqa: S608
        else:
            cursor.execute(f"DELETE FROM {POSTGRES_TABLE} WHERE article_id = %s", [article_id])  # noqa: S608


def index_rebuild() -> int:
    """Empty the index and index every published article again; return how many."""
    with connection.cursor() as cursor:
        table = SQLITE_TABLE if connection.vendor == "sqlite" else POSTGRES_TABLE
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    count = 0
    for article in Article.objects.filter(status=ArticleStatus.PUBLISHED).iterator(chunk_size=500):
        index_article(article)
        count += 1
    return count


def index_size() -> int:
    """How many articles the index holds."""
    with connection.cursor() as cursor:
        table = SQLITE_TABLE if connection.vendor == "sqlite" else POSTGRES_TABLE
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
        row = cursor.fetchone()
    return int(row[0]) if row else 0
