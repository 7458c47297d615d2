"""Writing the article search index (tables made by migration 0002_search_index).

Only published articles are in it, internal ones too (visibility is filtered when searching).
Both databases get the same tokens (``text.tokenize``), in two parts: the title, and the rest
(summary, body text, example questions). Each distinct token keeps at most
``MAX_OCCURRENCES`` occurrences per article, on both databases, because a PostgreSQL tsvector
keeps at most 256 positions per lexeme; the row length is the count of tokens kept, so both
databases see the same term frequencies and document lengths.

SQLite: one FTS5 row per article (rowid = article id): title and body columns, and the
article's visibility and language (not indexed, for filtering).
PostgreSQL: per article a tsvector written literally from the tokens (weight A for title
occurrences, D for body ones; GIN-indexed), one posting per distinct term (its weighted
frequency, the article's length, visibility and language), and the statistics FTS5 keeps
inside its own index: how many articles hold each term, articles and tokens in all. All of
it is written in the caller's transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db import connection

from closeloop.knowledge.markdown import plain_text
from closeloop.knowledge.models import Article, ArticleStatus
from closeloop.knowledge.text import tokenize

SQLITE_TABLE = "knowledge_search_fts"
POSTGRES_TABLE = "knowledge_search_index"
POSTGRES_POSTINGS = "knowledge_search_posting"
POSTGRES_TERMS = "knowledge_search_term"
POSTGRES_TOTALS = "knowledge_search_total"
MAX_OCCURRENCES = 200
WEIGHT_TITLE = "A"  # PostgreSQL weight letters; FTS5 tells columns apart by position
WEIGHT_BODY = "D"
TITLE_FREQUENCY = 2.0  # a title occurrence counts twice (FTS5 column weight 2)
BODY_FREQUENCY = 1.0


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


def weighted_frequencies(title_tokens: list[str], body_tokens: list[str]) -> dict[str, float]:
    """Each token's BM25 term frequency: TITLE_FREQUENCY per title occurrence, 1 per body one
    (what FTS5's bm25() adds up with column weights 2 and 1)."""
    frequencies: dict[str, float] = {}
    for token in title_tokens:
        frequencies[token] = frequencies.get(token, 0.0) + TITLE_FREQUENCY
    for token in body_tokens:
        frequencies[token] = frequencies.get(token, 0.0) + BODY_FREQUENCY
    return frequencies


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
                f"INSERT INTO {SQLITE_TABLE} (rowid, title, body, visibility, language) "  # noqa: S608
                "VALUES (%s, %s, %s, %s, %s)",
                [
                    article.pk,
                    " ".join(title_tokens),
                    " ".join(body_tokens),
                    article.visibility,
                    article.language,
                ],
            )
            return
        old_terms, old_length, was_indexed = _postgres_row(cursor, article.pk)
        new_terms = set(title_tokens) | set(body_tokens)
        length = len(title_tokens) + len(body_tokens)
        cursor.execute(
            f"INSERT INTO {POSTGRES_TABLE} (article_id, vector, length) "  # noqa: S608
            "VALUES (%s, %s::tsvector, %s) ON CONFLICT (article_id) "
            "DO UPDATE SET vector = EXCLUDED.vector, length = EXCLUDED.length",
            [article.pk, tsvector_literal(title_tokens, body_tokens), length],
        )
        _postgres_postings(
            cursor,
            article.pk,
            article=article,
            frequencies=weighted_frequencies(title_tokens, body_tokens),
            length=length,
        )
        _postgres_counts(
            cursor,
            added=new_terms - old_terms,
            removed=old_terms - new_terms,
            documents=0 if was_indexed else 1,
            tokens=length - old_length,
        )


def _postgres_row(cursor: Any, article_id: int) -> tuple[set[str], int, bool]:
    """The terms and length the index holds for an article (locked until commit)."""
    cursor.execute(
        f"SELECT tsvector_to_array(vector), length FROM {POSTGRES_TABLE} "  # noqa: S608
        "WHERE article_id = %s FOR UPDATE",
        [article_id],
    )
    row = cursor.fetchone()
    if row is None:
        return set(), 0, False
    return set(row[0]), int(row[1]), True


def _postgres_postings(
    cursor: Any,
    article_id: int,
    *,
    article: Article | None = None,
    frequencies: dict[str, float] | None = None,
    length: int = 0,
) -> None:
    """Replace the article's postings: one row per distinct term, with its frequency, the
    article's length, visibility and language (none when ``article`` is None)."""
    cursor.execute(f"DELETE FROM {POSTGRES_POSTINGS} WHERE article_id = %s", [article_id])  # noqa: S608
    if article is None or not frequencies:
        return
    terms = sorted(frequencies)
    cursor.execute(
        f"INSERT INTO {POSTGRES_POSTINGS} "  # noqa: S608
        "(term, article_id, frequency, length, visibility, language) "
        "SELECT p.term, %s, p.frequency, %s, %s, %s "
        "FROM unnest(%s::text[], %s::float8[]) AS p(term, frequency)",
        [
            article_id,
            length,
            article.visibility,
            article.language,
            terms,
            [frequencies[t] for t in terms],
        ],
    )


def _postgres_counts(
    cursor: Any, *, added: set[str], removed: set[str], documents: int, tokens: int
) -> None:
    """Keep the per-term document counts and the totals in step with one row's change.

    Terms are locked in sorted order, so two articles saved at once cannot deadlock."""
    if removed:
        cursor.execute(
            f"UPDATE {POSTGRES_TERMS} SET documents = documents - 1 "  # noqa: S608
            "WHERE term = ANY(%s::text[])",
            [sorted(removed)],
        )
    if added:
        cursor.execute(
            f"INSERT INTO {POSTGRES_TERMS} AS t (term, documents) "  # noqa: S608
            "SELECT term, 1 FROM unnest(%s::text[]) AS term ORDER BY term "
            "ON CONFLICT (term) DO UPDATE SET documents = t.documents + 1",
            [sorted(added)],
        )
    if documents or tokens:
        cursor.execute(
            f"UPDATE {POSTGRES_TOTALS} SET documents = documents + %s, "  # noqa: S608
            "tokens = tokens + %s WHERE id = 1",
            [documents, tokens],
        )


def index_remove(article_id: int) -> None:
    """Take one article out of the index (nothing happens when it is not in it)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"DELETE FROM {SQLITE_TABLE} WHERE rowid = %s", [article_id])  # noqa: S608
            return
        old_terms, old_length, was_indexed = _postgres_row(cursor, article_id)
        if not was_indexed:
            return
        cursor.execute(f"DELETE FROM {POSTGRES_TABLE} WHERE article_id = %s", [article_id])  # noqa: S608
        _postgres_postings(cursor, article_id)
        _postgres_counts(cursor, added=set(), removed=old_terms, documents=-1, tokens=-old_length)


def index_rebuild() -> int:
    """Empty the index and index every published article again; return how many."""
    postgres = connection.vendor != "sqlite"
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {POSTGRES_TABLE if postgres else SQLITE_TABLE}")  # noqa: S608
    count = 0
    articles = Article.objects.filter(status=ArticleStatus.PUBLISHED).order_by("pk")
    for article in articles.iterator(chunk_size=500):
        if postgres:
            _postgres_insert(article)
        else:
            index_article(article)
        count += 1
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {POSTGRES_POSTINGS}")  # noqa: S608
            cursor.execute(
                f"INSERT INTO {POSTGRES_POSTINGS} "  # noqa: S608
                "(term, article_id, frequency, length, visibility, language) "
                f"SELECT u.lexeme, i.article_id, "
                f"{BODY_FREQUENCY}::float8 * cardinality(u.weights) "
                f"+ ({TITLE_FREQUENCY}::float8 - {BODY_FREQUENCY}::float8) "
                f"* cardinality(array_positions(u.weights, 'A')), i.length, "
                "a.visibility, a.language "
                f"FROM {POSTGRES_TABLE} i JOIN knowledge_article a ON a.id = i.article_id, "
                "unnest(i.vector) AS u"
            )
            cursor.execute(f"DELETE FROM {POSTGRES_TERMS}")  # noqa: S608
            cursor.execute(
                f"INSERT INTO {POSTGRES_TERMS} (term, documents) "  # noqa: S608
                f"SELECT lexeme, count(*) FROM {POSTGRES_TABLE}, unnest(vector) "
                "GROUP BY lexeme"
            )
            cursor.execute(
                f"UPDATE {POSTGRES_TOTALS} SET documents = s.documents, tokens = s.tokens "  # noqa: S608
                f"FROM (SELECT count(*) AS documents, coalesce(sum(length), 0) AS tokens "
                f"FROM {POSTGRES_TABLE}) s WHERE id = 1"
            )
    return count


def _postgres_insert(article: Article) -> None:
    title_tokens, body_tokens = article_tokens(
        title=article.title,
        summary=article.summary,
        body_html=article.body_html,
        questions=article.questions,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {POSTGRES_TABLE} (article_id, vector, length) "  # noqa: S608
            "VALUES (%s, %s::tsvector, %s)",
            [
                article.pk,
                tsvector_literal(title_tokens, body_tokens),
                len(title_tokens) + len(body_tokens),
            ],
        )


def index_clear() -> None:
    """Empty the index (the tests' flush empties the articles but not these tables)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"DELETE FROM {SQLITE_TABLE}")  # noqa: S608
            return
        for table in (POSTGRES_TABLE, POSTGRES_POSTINGS, POSTGRES_TERMS):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        cursor.execute(f"UPDATE {POSTGRES_TOTALS} SET documents = 0, tokens = 0 WHERE id = 1")  # noqa: S608


def index_size() -> int:
    """How many articles the index holds."""
    with connection.cursor() as cursor:
        table = SQLITE_TABLE if connection.vendor == "sqlite" else POSTGRES_TABLE
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def postgres_statistics(terms: list[str]) -> tuple[int, int, dict[str, int]]:
    """PostgreSQL: articles and tokens in the index, and how many articles hold each term."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT documents, tokens FROM {POSTGRES_TOTALS} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
        cursor.execute(
            f"SELECT term, documents FROM {POSTGRES_TERMS} "  # noqa: S608
            "WHERE term = ANY(%s::text[]) AND documents > 0",
            [terms],
        )
        counts = {str(term): int(documents) for term, documents in cursor.fetchall()}
    documents, tokens = (int(row[0]), int(row[1])) if row else (0, 0)
    return documents, tokens, counts


def index_prune(**_signal_kwargs: object) -> int:
    """Drop index rows of articles that are gone or no longer published; return how many.

    Usable as a ``post_migrate`` receiver: Django's test flush empties the article table but
    not the index tables it does not know, and stale rows would take places in results.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"SELECT rowid FROM {SQLITE_TABLE} WHERE rowid NOT IN "  # noqa: S608
                f"(SELECT id FROM {Article._meta.db_table} WHERE status = %s)",
                [ArticleStatus.PUBLISHED],
            )
        else:
            cursor.execute(
                f"SELECT article_id FROM {POSTGRES_TABLE} WHERE article_id NOT IN "  # noqa: S608
                f"(SELECT id FROM {Article._meta.db_table} WHERE status = %s)",
                [ArticleStatus.PUBLISHED],
            )
        stale = [int(row[0]) for row in cursor.fetchall()]
    for article_id in stale:
        index_remove(article_id)
    return len(stale)
