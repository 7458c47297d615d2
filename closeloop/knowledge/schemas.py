"""Input and output shapes of the knowledge API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from closeloop.knowledge.models import Article, ArticleVersion, SearchMiss, SynonymGroup
from closeloop.knowledge.search import SearchHit, SearchResults

LanguageCode = Literal["en", "zh-hans"]
VisibilityCode = Literal["public", "internal"]
StatusCode = Literal["draft", "published", "archived"]


class ArticleCreateIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    body: str = Field(..., min_length=1, max_length=100_000, description="Markdown")
    language: LanguageCode
    category: str | None = Field(None, max_length=80, description="Problem type code")
    summary: str = Field("", max_length=500)
    questions: str = Field(
        "", max_length=50_000, description="How customers ask for this, one question a line"
    )
    visibility: VisibilityCode = "public"
    status: Literal["draft", "published"] = "draft"
    slug: str | None = Field(None, max_length=120)
    translation_of: int | None = Field(None, description="Article id of the same text")
    related: list[int] = Field(default_factory=list, max_length=50)


class ArticleUpdateIn(Schema):
    expected_version: int | None = Field(
        None, ge=1, description="The version you edited; a newer one on the server means 409"
    )
    note: str = Field("", max_length=300, description="What changed and why")
    title: str | None = Field(None, min_length=1, max_length=200)
    body: str | None = Field(None, min_length=1, max_length=100_000)
    language: LanguageCode | None = None
    category: str | None = Field(None, max_length=80, description='Problem type code; "" clears')
    summary: str | None = Field(None, max_length=500)
    questions: str | None = Field(None, max_length=50_000)
    visibility: VisibilityCode | None = None
    slug: str | None = Field(None, min_length=1, max_length=120)
    translation_of: int | None = Field(None, description="Article id; 0 clears")
    related: list[int] | None = Field(None, max_length=50)


class StatusChangeIn(Schema):
    expected_version: int | None = Field(None, ge=1)
    note: str = Field("", max_length=300)


class ArticleLinkOut(Schema):
    id: int
    slug: str
    title: str
    language: str
    status: str


class ArticleSummaryOut(Schema):
    id: int
    slug: str
    title: str
    summary: str
    language: str
    category: str | None = Field(None, description="Problem type code")
    status: str
    visibility: str
    version: int
    updated_at: datetime
    published_at: datetime | None
    view_count: int
    helpful_count: int
    unhelpful_count: int


class VersionOut(Schema):
    number: int
    title: str
    status: str
    visibility: str
    category: str | None
    changed_fields: list[str]
    changed_by: str | None = Field(None, description="User name")
    note: str
    created_at: datetime


class VersionDetailOut(VersionOut):
    summary: str
    body: str
    questions: str


class ArticleOut(ArticleSummaryOut):
    body: str
    body_html: str = Field(..., description="Rendered and sanitised")
    questions: list[str]
    translation_of: int | None
    translations: list[ArticleLinkOut]
    related: list[ArticleLinkOut]
    versions: list[VersionOut] = Field(..., description="The latest ten, newest first")
    created_at: datetime


class ArticleListOut(Schema):
    items: list[ArticleSummaryOut]
    count: int


class VersionListOut(Schema):
    items: list[VersionDetailOut]


def article_summary_fields(article: Article) -> dict[str, object]:
    return {
        "id": article.pk,
        "slug": article.slug,
        "title": article.title,
        "summary": article.summary,
        "language": article.language,
        "category": article.category.code if article.category else None,
        "status": article.status,
        "visibility": article.visibility,
        "version": article.version,
        "updated_at": article.updated_at,
        "published_at": article.published_at,
        "view_count": article.view_count,
        "helpful_count": article.helpful_count,
        "unhelpful_count": article.unhelpful_count,
    }


def article_summary_out(article: Article) -> ArticleSummaryOut:
    return ArticleSummaryOut(**article_summary_fields(article))  # type: ignore[arg-type]


def link_out(article: Article) -> ArticleLinkOut:
    return ArticleLinkOut(
        id=article.pk,
        slug=article.slug,
        title=article.title,
        language=article.language,
        status=article.status,
    )


def version_fields(version: ArticleVersion) -> dict[str, object]:
    return {
        "number": version.number,
        "title": version.title,
        "status": version.status,
        "visibility": version.visibility,
        "category": version.category_code or None,
        "changed_fields": list(version.changed_fields or []),
        "changed_by": version.changed_by.get_username() if version.changed_by else None,
        "note": version.note,
        "created_at": version.created_at,
    }


def version_out(version: ArticleVersion) -> VersionOut:
    return VersionOut(**version_fields(version))  # type: ignore[arg-type]


def version_detail_out(version: ArticleVersion) -> VersionDetailOut:
    return VersionDetailOut(
        **version_fields(version),  # type: ignore[arg-type]
        summary=version.summary,
        body=version.body,
        questions=version.questions,
    )


def article_out(
    article: Article,
    *,
    versions: list[ArticleVersion],
    related: list[Article],
    translations: list[Article],
) -> ArticleOut:
    return ArticleOut(
        **article_summary_fields(article),  # type: ignore[arg-type]
        body=article.body,
        body_html=article.body_html,
        questions=article.question_list,
        translation_of=article.translation_of_id,
        translations=[link_out(item) for item in translations],
        related=[link_out(item) for item in related],
        versions=[version_out(version) for version in versions],
        created_at=article.created_at,
    )


class SearchHitOut(Schema):
    article_id: int
    slug: str
    title: str
    summary: str
    language: str
    visibility: str
    category: str | None
    score: float
    snippet_html: str = Field(..., description="Escaped text; matched words in <mark>")


def hit_out(hit: SearchHit) -> SearchHitOut:
    return SearchHitOut(
        article_id=hit.article_id,
        slug=hit.slug,
        title=hit.title,
        summary=hit.summary,
        language=hit.language,
        visibility=hit.visibility,
        category=hit.category_code or None,
        score=hit.score,
        snippet_html=hit.snippet_html,
    )


class SearchOut(Schema):
    query: str
    hits: list[SearchHitOut]
    expanded_terms: list[str] = Field(..., description="Synonyms searched as well")


def search_out(results: SearchResults) -> SearchOut:
    return SearchOut(
        query=results.query,
        hits=[hit_out(hit) for hit in results.hits],
        expanded_terms=results.expanded_terms,
    )


class SuggestionsOut(Schema):
    ticket_id: int
    items: list[SearchHitOut]


class UseIn(Schema):
    article_id: int
    kind: Literal["linked", "inserted"]


class UseOut(Schema):
    id: int
    article_id: int
    ticket_id: int | None
    kind: str
    created_at: datetime


class SynonymGroupIn(Schema):
    terms: str = Field(
        ..., min_length=1, max_length=2000, description="Terms separated by commas (，、; too)"
    )
    is_active: bool = True


class SynonymGroupOut(Schema):
    id: int
    terms: list[str]
    is_active: bool
    updated_at: datetime


def synonym_out(group: SynonymGroup) -> SynonymGroupOut:
    return SynonymGroupOut(
        id=group.pk, terms=group.term_list, is_active=group.is_active, updated_at=group.updated_at
    )


class SynonymGroupListOut(Schema):
    items: list[SynonymGroupOut]


class SearchMissOut(Schema):
    id: int
    query: str
    normalized_query: str
    audience: str
    count: int
    first_at: datetime
    last_at: datetime
    is_resolved: bool


def miss_out(miss: SearchMiss) -> SearchMissOut:
    return SearchMissOut(
        id=miss.pk,
        query=miss.query,
        normalized_query=miss.normalized_query,
        audience=miss.audience,
        count=miss.count,
        first_at=miss.first_at,
        last_at=miss.last_at,
        is_resolved=miss.is_resolved,
    )


class SearchMissListOut(Schema):
    items: list[SearchMissOut]
    count: int


class ArticleStatsOut(Schema):
    article_id: int
    views: int
    helpful: int
    unhelpful: int
    helpful_share: float | None = Field(None, description="helpful ÷ (helpful + unhelpful)")
    linked: int
    inserted: int
    bot_answered: int
    tickets: int = Field(..., description="Distinct tickets the article was used on")
    self_service_successes: int
