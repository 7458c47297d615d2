"""Article search: the database's own full-text engine over Closeloop's tokens, BM25 ranking
computed the same way on SQLite (FTS5's ``bm25()``) and PostgreSQL (the same formula in SQL),
team-edited synonyms, highlighted snippets, and searches without a result recorded.

BM25 as FTS5 computes it (``fts5_aux.c``): k1 = 1.2, b = 0.75; per query term,
idf = ln((N - n + 0.5) / (n + 0.5)), floored at 1e-6 (N articles in the index, n of them
holding the term); tf = 2 per occurrence in the title plus 1 per occurrence in the body;
D = the article's tokens (title and body), avgdl = all tokens ÷ N;
score = Σ idf · tf · (k1 + 1) / (tf + k1 · (1 - b + b · D / avgdl)). Ties go to the lower id.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from closeloop.core import clock
from closeloop.core.cache import ProcessCache
from closeloop.core.errors import InvalidInput
from closeloop.knowledge.index import (
    POSTGRES_POSTINGS,
    POSTGRES_TABLE,
    SQLITE_TABLE,
    postgres_statistics,
    tsquery_literal,
)
from closeloop.knowledge.markdown import plain_text
from closeloop.knowledge.models import (
    Article,
    SearchMiss,
    SynonymGroup,
    Visibility,
)
from closeloop.knowledge.text import normalize, tokenize
from closeloop.tickets.models import AuthorKind, Ticket
from closeloop.triage.models import Category

MAX_QUERY_LENGTH = 200
MAX_TERMS = 32  # query tokens plus synonyms; a longer text is cut to its first terms
MAX_LIMIT = 50
SNIPPET_LENGTH = 160
TITLE_WEIGHT = 2.0
BODY_WEIGHT = 1.0
SCORE_DIGITS = 9  # scores are compared rounded, so float summation order cannot reorder ties

AUDIENCES: dict[str, tuple[str, ...]] = {
    "customer": (Visibility.PUBLIC,),
    "bot": (Visibility.PUBLIC,),  # the bot answers customers: public articles only
    "agent": (Visibility.PUBLIC, Visibility.INTERNAL),
}
MISS_AUDIENCES = frozenset({"customer", "agent"})


@dataclass(frozen=True)
class SearchHit:
    """One article found, with its score and a highlighted snippet."""

    article_id: int
    slug: str
    title: str
    summary: str
    language: str
    visibility: str
    category_code: str
    score: float
    snippet_html: str  # escaped text, matched words in <mark>…</mark>


@dataclass(frozen=True)
class SearchResults:
    """What a search found, best first, and the synonyms it also looked for."""

    query: str
    hits: list[SearchHit]
    expanded_terms: list[str]


# --- synonyms -------------------------------------------------------------------------------

_synonym_cache = ProcessCache(seconds=30.0)


@dataclass(frozen=True)
class SynonymMap:
    """Single tokens and token sequences (multi-word terms), each with its group's tokens."""

    words: dict[str, frozenset[str]]
    phrases: tuple[tuple[frozenset[str], frozenset[str]], ...]


def _load_synonyms() -> SynonymMap:
    words: dict[str, set[str]] = {}
    phrases: list[tuple[frozenset[str], frozenset[str]]] = []
    for group in SynonymGroup.objects.filter(is_active=True).order_by("id"):
        term_tokens = [tokenize(term) for term in group.term_list]
        group_tokens = frozenset(token for tokens in term_tokens for token in tokens)
        for tokens in term_tokens:
            if len(tokens) == 1:
                words.setdefault(tokens[0], set()).update(group_tokens)
            elif tokens:
                phrases.append((frozenset(tokens), group_tokens))
    return SynonymMap(
        words={word: frozenset(tokens) for word, tokens in words.items()}, phrases=tuple(phrases)
    )


def synonyms() -> SynonymMap:
    """The active synonym groups, cached per process (cleared when one is saved)."""
    return _synonym_cache.get("synonyms", _load_synonyms)


def clear_synonym_cache(**_kwargs: object) -> None:
    """Forget the cached synonyms (after an edit; between tests)."""
    _synonym_cache.clear()


def expand(tokens: list[str]) -> tuple[list[str], list[str]]:
    """The distinct query terms (the tokens first, then their synonyms) and the synonyms added."""
    terms = list(dict.fromkeys(tokens))
    present = set(terms)
    mapping = synonyms()
    added: list[str] = []
    for token in terms:
        for synonym in sorted(mapping.words.get(token, ())):
            if synonym not in present:
                present.add(synonym)
                added.append(synonym)
    for needed, group in mapping.phrases:
        if needed <= present:
            for synonym in sorted(group - present):
                present.add(synonym)
                added.append(synonym)
    return terms + added, added


# --- the two engines ------------------------------------------------------------------------


def _filters(
    visibilities: tuple[str, ...],
    language: str | None,
    category_ids: list[int] | None,
    *,
    alias: str,
    id_column: str,
) -> tuple[str, list[Any]]:
    # The index rows (SQLite) and the postings (PostgreSQL) carry visibility and language;
    # only published articles are in them.
    sql = [f"{alias}.visibility IN ({', '.join(['%s'] * len(visibilities))})"]
    params: list[Any] = [*visibilities]
    if language:
        sql.append(f"{alias}.language = %s")
        params.append(language)
    if category_ids is not None:
        sql.append(
            f"{alias}.{id_column} IN (SELECT id FROM {Article._meta.db_table} "  # noqa: S608
            f"WHERE category_id IN ({', '.join(['%s'] * len(category_ids))}))"
        )
        params.extend(category_ids)
    return " AND ".join(sql), params


def _ranked_sqlite(
    terms: list[str], where: str, params: list[Any], limit: int
) -> list[tuple[int, float]]:
    match = " OR ".join(f'"{term}"' for term in terms)
    bm25 = f"bm25({SQLITE_TABLE}, {TITLE_WEIGHT}, {BODY_WEIGHT})"
    sql = (
        f"SELECT f.rowid, -{bm25} AS score FROM {SQLITE_TABLE} f "  # noqa: S608
        f"WHERE {SQLITE_TABLE} MATCH %s AND {where} "
        f"ORDER BY round(score, {SCORE_DIGITS}) DESC, f.rowid LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, *params, limit])
        return [(int(row[0]), float(row[1])) for row in cursor.fetchall()]


K1 = 1.2
B = 0.75

# BM25 exactly as FTS5 adds it up, from each term's posting (weighted frequency, length);
# {candidates} optionally limits the articles scored to those the tsvector index matches.
# (Each term's idf is looked up by its place in the terms array rather than joined in, so the
# planner sees a plain ``term = ANY(…)`` scan and estimates its size well.)
_BM25 = (
    "sum((%s::float8[])[array_position(%s::text[], p.term)]"
    f" * (p.frequency * ({K1}::float8 + 1.0::float8)) / (p.frequency + {K1}::float8"
    f" * (1.0::float8 - {B}::float8 + {B}::float8 * p.length::float8 / %s::float8)))"
)
_POSTGRES_RANKED = f"""
SELECT p.article_id, {_BM25} AS score
FROM {POSTGRES_POSTINGS} p
WHERE p.term = ANY(%s::text[]) {{candidates}} AND {{where}}
GROUP BY p.article_id
ORDER BY round({_BM25}::numeric, {SCORE_DIGITS}) DESC, p.article_id
LIMIT %s
"""  # noqa: S608
_POSTGRES_CANDIDATES = (
    f"AND p.article_id IN (SELECT article_id FROM {POSTGRES_TABLE} "  # noqa: S608
    "WHERE vector @@ %s::tsquery)"
)


def idf(*, documents: int, holding: int) -> float:
    """FTS5's inverse document frequency: ln((N - n + 0.5) / (n + 0.5)), at least 1e-6."""
    value = math.log((documents - holding + 0.5) / (holding + 0.5))
    return value if value > 0.0 else 1e-6


def _postgres_query(
    where: str,
    params: list[Any],
    *,
    idfs: dict[str, float],
    matching: list[str] | None,
    average: float,
    limit: int,
) -> list[tuple[int, float]]:
    terms = list(idfs)
    sql = _POSTGRES_RANKED.replace("{where}", where).replace(
        "{candidates}", _POSTGRES_CANDIDATES if matching else ""
    )
    bm25 = [[idfs[t] for t in terms], terms, average]
    values: list[Any] = [*bm25, terms]
    if matching:
        values.append(tsquery_literal(matching))
    values += [*params, *bm25, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return [(int(row[0]), float(row[1])) for row in cursor.fetchall()]


def _ranked_postgres(
    terms: list[str], where: str, params: list[Any], limit: int
) -> list[tuple[int, float]]:
    """BM25 with FTS5's statistics, pruned without changing the result.

    Scoring every article that holds a common word ("my", "card") means reading thousands of
    postings. So the articles the tsvector index matches on the rarer terms are scored first
    (all terms counted); an article holding only common terms scores less than the sum of
    their upper bounds idf·(k1 + 1), so when the last of the first ``limit`` results beats
    that sum, nothing was missed. Otherwise every article holding any term is scored.
    """
    documents, tokens, holding = postgres_statistics(terms)
    present = [term for term in terms if term in holding]
    if not present or not documents:
        return []
    idfs = {term: idf(documents=documents, holding=holding[term]) for term in present}
    average = tokens / documents
    bound = {term: idfs[term] * (K1 + 1.0) for term in present}
    by_bound = sorted(present, key=lambda term: (-bound[term], term))
    # The common terms: the weakest ones whose bounds add up to less than half the best's.
    common: list[str] = []
    budget = bound[by_bound[0]] / 2
    for term in reversed(by_bound[1:]):
        if sum(bound[t] for t in common) + bound[term] >= budget:
            break
        common.append(term)
    if common:
        rare = [term for term in by_bound if term not in common]
        ranked = _postgres_query(
            where, params, idfs=idfs, matching=rare, average=average, limit=limit
        )
        ceiling = sum(bound[term] for term in common)
        if len(ranked) == limit and round(ranked[-1][1], SCORE_DIGITS) > ceiling + 1e-9:
            return ranked
    return _postgres_query(where, params, idfs=idfs, matching=None, average=average, limit=limit)


def ranked_ids(
    terms: list[str],
    *,
    visibilities: tuple[str, ...],
    language: str | None = None,
    category_ids: list[int] | None = None,
    limit: int = 10,
) -> list[tuple[int, float]]:
    """(article id, BM25 score) of the best published articles holding any of ``terms``."""
    if not terms or category_ids == []:
        return []
    if connection.vendor == "sqlite":
        where, params = _filters(visibilities, language, category_ids, alias="f", id_column="rowid")
        return _ranked_sqlite(terms, where, params, limit)
    where, params = _filters(
        visibilities, language, category_ids, alias="p", id_column="article_id"
    )
    return _ranked_postgres(terms, where, params, limit)


# --- snippets -------------------------------------------------------------------------------


def term_pattern(terms: list[str]) -> re.Pattern[str] | None:
    """A pattern finding the terms in text: whole words, or anywhere for Chinese ones."""
    words = sorted({term for term in terms if term}, key=len, reverse=True)
    if not words:
        return None
    # Latin words match whole words; Han terms match anywhere (there are no spaces in Chinese).
    alternatives = [
        re.escape(word) if _is_han(word) else rf"(?<![^\W_]){re.escape(word)}(?![^\W_])"
        for word in words
    ]
    return re.compile("|".join(alternatives), re.IGNORECASE)


def _is_han(word: str) -> bool:
    return any("\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" for char in word)


def snippet(
    text: str,
    terms: list[str],
    *,
    length: int = SNIPPET_LENGTH,
    pattern: re.Pattern[str] | None = None,
) -> str:
    """HTML: the window of ``text`` (about ``length`` characters) with the most distinct
    matched terms, escaped, with each match in ``<mark>``."""
    text = " ".join(normalize_display(text).split())
    pattern = pattern or term_pattern(terms)
    matches = list(pattern.finditer(text)) if pattern else []
    start = 0
    if matches:
        words = [match.group().casefold() for match in matches]
        best = (-1, -1, 0)
        last = 0
        for index, first in enumerate(matches):
            # Matches index..last-1 fit in a window starting at this one (two pointers).
            last = max(last, index)
            while last < len(matches) and matches[last].end() - first.start() <= length:
                last += 1
            inside = last - index
            distinct = len(set(words[index:last]))
            if (distinct, inside) > best[:2]:
                best = (distinct, inside, first.start())
        # Some context before the first match, starting at a word boundary when there is one.
        start = max(0, best[2] - length // 5)
        if start:
            space = text.find(" ", start, best[2])
            start = space + 1 if space != -1 else start
    end = min(len(text), start + length)
    if end < len(text) and (space := text.rfind(" ", start, end)) > start + length // 2:
        end = space
    parts: list[str] = ["…"] if start else []
    cursor = start
    for match in matches:
        if match.start() < start or match.end() > end:
            continue
        parts.append(html.escape(text[cursor : match.start()]))
        parts.append(f"<mark>{html.escape(match.group())}</mark>")
        cursor = match.end()
    parts.append(html.escape(text[cursor:end]))
    if end < len(text):
        parts.append("…")
    return "".join(parts)


def normalize_display(text: str) -> str:
    """Text as snippets show it: compatibility forms folded (full-width letters, …), case kept."""
    return unicodedata.normalize("NFKC", text)


# --- searching ------------------------------------------------------------------------------


def category_ids_under(code: str) -> list[int]:
    """The ids of the category ``code`` and everything below it; InvalidInput when unknown."""
    category = Category.objects.filter(code=code).first()
    if category is None:
        raise InvalidInput(
            _("%(code)s is not a category.") % {"code": code}, details={"field": "category"}
        )
    return list(
        Category.objects.filter(
            Q(pk=category.pk) | Q(parent=category.pk) | Q(parent__parent=category.pk)
        ).values_list("pk", flat=True)
    )


def _visibilities(audience: str) -> tuple[str, ...]:
    try:
        return AUDIENCES[audience]
    except KeyError:
        raise InvalidInput(
            _("Unknown audience %(audience)s.") % {"audience": audience},
            details={"field": "audience"},
        ) from None


_HIT_COLUMNS = (
    "SELECT a.id, a.slug, a.title, a.summary, a.language, a.visibility, a.body_html, c.code "  # noqa: S608
    f"FROM {Article._meta.db_table} a "
    f"LEFT JOIN {Category._meta.db_table} c ON c.id = a.category_id "
    "WHERE a.id IN ({ids})"
)


def _hits(ranked: list[tuple[int, float]], terms: list[str]) -> list[SearchHit]:
    if not ranked:
        return []
    # One plain statement: this runs on every search, where the ORM's compiling costs more
    # than the query.
    with connection.cursor() as cursor:
        cursor.execute(
            _HIT_COLUMNS.format(ids=", ".join(["%s"] * len(ranked))), [pk for pk, _s in ranked]
        )
        rows = {row[0]: row for row in cursor.fetchall()}
    pattern = term_pattern(terms)
    hits = []
    for pk, score in ranked:
        row = rows.get(pk)
        if row is None:  # deleted since the index was read
            continue
        _pk, slug, title, summary, language, visibility, body_html, category_code = row
        text = "\n".join(filter(None, (summary, plain_text(body_html))))
        hits.append(
            SearchHit(
                article_id=pk,
                slug=slug,
                title=title,
                summary=summary,
                language=language,
                visibility=visibility,
                category_code=category_code or "",
                score=score,
                snippet_html=snippet(text, terms, pattern=pattern),
            )
        )
    return hits


def _record_miss(query: str, tokens: list[str], audience: str) -> None:
    normalized = (" ".join(tokens) or normalize(" ".join(query.split())))[:MAX_QUERY_LENGTH]
    now = clock.now()
    with transaction.atomic():
        updated = SearchMiss.objects.filter(normalized_query=normalized).update(
            count=F("count") + 1, last_at=now, query=query, audience=audience, is_resolved=False
        )
        if not updated:
            SearchMiss.objects.get_or_create(
                normalized_query=normalized,
                defaults={"query": query, "audience": audience, "first_at": now, "last_at": now},
            )


def article_search(
    query: str,
    *,
    audience: str,
    language: str | None = None,
    category_code: str | None = None,
    limit: int = 10,
    record_miss: bool = True,
) -> SearchResults:
    """Published articles the audience may read that match ``query``, best first.

    A search that finds nothing (by customers or agents) is counted in SearchMiss.
    """
    visibilities = _visibilities(audience)
    cleaned = " ".join(query.split())
    if not cleaned:
        raise InvalidInput(_("Type something to search for."), details={"field": "q"})
    if len(cleaned) > MAX_QUERY_LENGTH:
        raise InvalidInput(
            _("A search can be at most %(max)s characters.") % {"max": MAX_QUERY_LENGTH},
            details={"field": "q"},
        )
    limit = max(1, min(limit, MAX_LIMIT))
    tokens = tokenize(cleaned)
    terms, added = expand(tokens)
    terms = terms[:MAX_TERMS]
    category_ids = category_ids_under(category_code) if category_code else None
    ranked = ranked_ids(
        terms,
        visibilities=visibilities,
        language=language or None,
        category_ids=category_ids,
        limit=limit,
    )
    hits = _hits(ranked, terms)
    if not hits and record_miss and audience in MISS_AUDIENCES and tokens:
        _record_miss(cleaned, list(dict.fromkeys(tokens)), audience)
    return SearchResults(query=cleaned, hits=hits, expanded_terms=[t for t in added if t in terms])


def article_suggestions(*, text: str, audience: str = "agent", limit: int = 5) -> list[SearchHit]:
    """The articles that best match a longer text (a ticket's words); nothing is recorded."""
    visibilities = _visibilities(audience)
    terms, _added = expand(tokenize(text)[:2000])
    ranked = ranked_ids(
        terms[:MAX_TERMS], visibilities=visibilities, limit=max(1, min(limit, MAX_LIMIT))
    )
    return _hits(ranked, terms[:MAX_TERMS])


def article_suggestions_for_ticket(*, ticket: Ticket, limit: int = 5) -> list[SearchHit]:
    """Articles for the agent working on ``ticket``: its subject and the customer's messages."""
    bodies = ticket.messages.filter(author_kind=AuthorKind.CUSTOMER).order_by("created_at", "id")
    text = "\n".join([ticket.subject, *bodies.values_list("body", flat=True)[:20]])
    return article_suggestions(text=text, audience="agent", limit=limit)
