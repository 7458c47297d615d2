"""The knowledge base over HTTP, for agents and administrators (customers use the portal).
Each handler: validate input → load and authorise → one service → output."""

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field as SchemaField
from ninja import Query, Router, Schema, Status

from closeloop.core.errors import InvalidInput, NotFound
from closeloop.knowledge import services
from closeloop.knowledge.models import Article, ArticleVersion, SearchMiss, SynonymGroup
from closeloop.knowledge.schemas import (
    ArticleCreateIn,
    ArticleListOut,
    ArticleOut,
    ArticleStatsOut,
    ArticleUpdateIn,
    SearchMissListOut,
    SearchMissOut,
    SearchOut,
    StatusChangeIn,
    SuggestionsOut,
    SynonymGroupIn,
    SynonymGroupListOut,
    SynonymGroupOut,
    UseIn,
    UseOut,
    VersionListOut,
    article_out,
    article_summary_out,
    hit_out,
    miss_out,
    search_out,
    synonym_out,
    version_detail_out,
)
from closeloop.knowledge.search import (
    article_search,
    article_suggestions_for_ticket,
    category_ids_under,
)
from closeloop.knowledge.selectors import article_stats, articles_filtered, search_misses_open
from closeloop.people.access import requester_for
from closeloop.tickets.selectors import ticket_visible
from closeloop.triage.models import Category
from closeloop.triage.taxonomy import category_by_code

router = Router(tags=["knowledge"])

MAX_LIST = 200
VERSIONS_SHOWN = 10


def _article(article_id: int) -> Article:
    article = Article.objects.select_related("category").filter(pk=article_id).first()
    if article is None:
        raise NotFound(_("Article %(id)s not found.") % {"id": article_id})
    return article


def _articles(ids: list[int], *, field: str) -> list[Article]:
    found = Article.objects.in_bulk(ids)
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise InvalidInput(
            _("No article with id %(ids)s.") % {"ids": ", ".join(map(str, missing))},
            details={"field": field},
        )
    return [found[pk] for pk in dict.fromkeys(ids)]


def _category(code: str | None) -> Category | None:
    return category_by_code(code, field="category") if code else None


def _detail(article: Article) -> ArticleOut:
    versions = list(
        ArticleVersion.objects.filter(article=article)
        .select_related("changed_by")
        .order_by("-number")[:VERSIONS_SHOWN]
    )
    root_id = article.translation_of_id or article.pk
    translations = list(
        Article.objects.filter(pk=root_id) | Article.objects.filter(translation_of_id=root_id)
    )
    return article_out(
        article,
        versions=versions,
        related=list(article.related.order_by("title", "id")),
        translations=[item for item in translations if item.pk != article.pk],
    )


# --- articles -------------------------------------------------------------------------------


class ArticleListQuery(Schema):
    status: str | None = SchemaField(None, pattern="^(draft|published|archived)$")
    language: str | None = SchemaField(None, pattern="^(en|zh-hans)$")
    category: str | None = SchemaField(None, max_length=80, description="Category code")
    visibility: str | None = SchemaField(None, pattern="^(public|internal)$")
    limit: int = SchemaField(50, ge=1, le=MAX_LIST)
    offset: int = SchemaField(0, ge=0)


@router.get("/articles", response=ArticleListOut, summary="Articles, newest change first")
def article_list_view(request: HttpRequest, query: Query[ArticleListQuery]) -> ArticleListOut:
    requester_for(request.user)
    articles = articles_filtered(
        status=query.status,
        language=query.language,
        category_ids=category_ids_under(query.category) if query.category else None,
        visibility=query.visibility,
    )
    page = articles[query.offset : query.offset + query.limit]
    return ArticleListOut(items=[article_summary_out(a) for a in page], count=articles.count())


@router.post("/articles", response={201: ArticleOut}, summary="Write an article")
@transaction.atomic
def article_create_view(request: HttpRequest, payload: ArticleCreateIn) -> Status[ArticleOut]:
    requester = requester_for(request.user)
    article = services.article_create(
        actor=requester.user,
        title=payload.title,
        body=payload.body,
        language=payload.language,
        category=_category(payload.category),
        summary=payload.summary,
        questions=payload.questions,
        visibility=payload.visibility,
        status=payload.status,
        slug=payload.slug,
        translation_of=(
            _articles([payload.translation_of], field="translation_of")[0]
            if payload.translation_of
            else None
        ),
        related=_articles(payload.related, field="related"),
    )
    return Status(201, _detail(article))


@router.get("/articles/{article_id}", response=ArticleOut, summary="One article, rendered")
def article_view(request: HttpRequest, article_id: int) -> ArticleOut:
    requester_for(request.user)
    return _detail(_article(article_id))


@router.patch("/articles/{article_id}", response=ArticleOut, summary="Change an article")
@transaction.atomic
def article_update_view(
    request: HttpRequest, article_id: int, payload: ArticleUpdateIn
) -> ArticleOut:
    requester = requester_for(request.user)
    article = _article(article_id)
    sent = payload.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {
        key: value
        for key, value in sent.items()
        if key not in ("expected_version", "note", "category", "translation_of", "related")
    }
    if "category" in sent:
        changes["category"] = _category(sent["category"])
    if "translation_of" in sent:
        target = sent["translation_of"]
        changes["translation_of"] = (
            _articles([target], field="translation_of")[0] if target else None
        )
    if sent.get("related") is not None:
        changes["related"] = _articles(sent["related"], field="related")
    article = services.article_update(
        article=article,
        actor=requester.user,
        note=payload.note,
        expected_version=payload.expected_version,
        **changes,
    )
    return _detail(article)


@router.post("/articles/{article_id}/publish", response=ArticleOut, summary="Publish an article")
@transaction.atomic
def article_publish_view(
    request: HttpRequest, article_id: int, payload: StatusChangeIn
) -> ArticleOut:
    requester = requester_for(request.user)
    article = services.article_publish(
        article=_article(article_id),
        actor=requester.user,
        note=payload.note,
        expected_version=payload.expected_version,
    )
    return _detail(article)


@router.post("/articles/{article_id}/archive", response=ArticleOut, summary="Archive an article")
@transaction.atomic
def article_archive_view(
    request: HttpRequest, article_id: int, payload: StatusChangeIn
) -> ArticleOut:
    requester = requester_for(request.user)
    article = services.article_archive(
        article=_article(article_id),
        actor=requester.user,
        note=payload.note,
        expected_version=payload.expected_version,
    )
    return _detail(article)


@router.get(
    "/articles/{article_id}/versions",
    response=VersionListOut,
    summary="Every version of an article, newest first",
)
def article_versions_view(request: HttpRequest, article_id: int) -> VersionListOut:
    requester_for(request.user)
    article = _article(article_id)
    versions = ArticleVersion.objects.filter(article=article).select_related("changed_by")
    return VersionListOut(items=[version_detail_out(v) for v in versions.order_by("-number")])


@router.post(
    "/articles/{article_id}/versions/{number}/restore",
    response=ArticleOut,
    summary="Bring back an earlier version (as a new version)",
)
@transaction.atomic
def article_restore_view(request: HttpRequest, article_id: int, number: int) -> ArticleOut:
    requester = requester_for(request.user)
    article = services.article_restore_version(
        article=_article(article_id), number=number, actor=requester.user
    )
    return _detail(article)


@router.get(
    "/articles/{article_id}/stats", response=ArticleStatsOut, summary="How an article is used"
)
def article_stats_view(request: HttpRequest, article_id: int) -> ArticleStatsOut:
    requester_for(request.user)
    article = _article(article_id)
    stats = article_stats(article)
    return ArticleStatsOut(
        article_id=article.pk,
        views=stats.views,
        helpful=stats.helpful,
        unhelpful=stats.unhelpful,
        helpful_share=stats.helpful_share,
        linked=stats.linked,
        inserted=stats.inserted,
        bot_answered=stats.bot_answered,
        tickets=stats.tickets,
        self_service_successes=stats.self_service_successes,
    )


# --- search, suggestions, usage -------------------------------------------------------------


class SearchQuery(Schema):
    q: str = SchemaField(..., max_length=1000)
    language: str | None = SchemaField(None, pattern="^(en|zh-hans)$")
    category: str | None = SchemaField(None, max_length=80)
    limit: int = SchemaField(10, ge=1, le=50)


@router.get("/search", response=SearchOut, summary="Search published articles (agents see all)")
def search_view(request: HttpRequest, query: Query[SearchQuery]) -> SearchOut:
    requester_for(request.user)
    results = article_search(
        query.q,
        audience="agent",
        language=query.language,
        category_code=query.category,
        limit=query.limit,
    )
    return search_out(results)


@router.get(
    "/tickets/{ticket_id}/suggestions",
    response=SuggestionsOut,
    summary="The articles that best match a ticket's words",
)
def suggestions_view(request: HttpRequest, ticket_id: int, limit: int = 5) -> SuggestionsOut:
    ticket = ticket_visible(requester_for(request.user), pk=ticket_id)
    hits = article_suggestions_for_ticket(ticket=ticket, limit=max(1, min(limit, 20)))
    return SuggestionsOut(ticket_id=ticket.pk, items=[hit_out(hit) for hit in hits])


@router.post(
    "/tickets/{ticket_id}/uses",
    response={201: UseOut},
    summary="Record that an article was linked to a ticket or inserted into a reply",
)
@transaction.atomic
def use_create_view(request: HttpRequest, ticket_id: int, payload: UseIn) -> Status[UseOut]:
    requester = requester_for(request.user)
    ticket = ticket_visible(requester, pk=ticket_id)
    article = Article.objects.filter(pk=payload.article_id).exclude(status="draft").first()
    if article is None:
        raise InvalidInput(
            _("No published article with id %(id)s.") % {"id": payload.article_id},
            details={"field": "article_id"},
        )
    use = services.article_use_record(
        article=article, kind=payload.kind, ticket=ticket, agent=requester.agent
    )
    return Status(
        201,
        UseOut(
            id=use.pk,
            article_id=article.pk,
            ticket_id=ticket.pk,
            kind=use.kind,
            created_at=use.created_at,
        ),
    )


# --- synonyms and misses --------------------------------------------------------------------


def _synonym_group(group_id: int) -> SynonymGroup:
    group = SynonymGroup.objects.filter(pk=group_id).first()
    if group is None:
        raise NotFound(_("Synonym group %(id)s not found.") % {"id": group_id})
    return group


@router.get("/synonyms", response=SynonymGroupListOut, summary="Synonym groups")
def synonym_list_view(request: HttpRequest) -> SynonymGroupListOut:
    requester_for(request.user)
    groups = SynonymGroup.objects.order_by("id")
    return SynonymGroupListOut(items=[synonym_out(group) for group in groups])


@router.post("/synonyms", response={201: SynonymGroupOut}, summary="Add a synonym group")
@transaction.atomic
def synonym_create_view(request: HttpRequest, payload: SynonymGroupIn) -> Status[SynonymGroupOut]:
    requester = requester_for(request.user)
    group = services.synonym_group_save(
        actor=requester.user, terms=payload.terms, is_active=payload.is_active
    )
    return Status(201, synonym_out(group))


@router.put("/synonyms/{group_id}", response=SynonymGroupOut, summary="Change a synonym group")
@transaction.atomic
def synonym_update_view(
    request: HttpRequest, group_id: int, payload: SynonymGroupIn
) -> SynonymGroupOut:
    requester = requester_for(request.user)
    group = services.synonym_group_save(
        actor=requester.user,
        terms=payload.terms,
        is_active=payload.is_active,
        group=_synonym_group(group_id),
    )
    return synonym_out(group)


@router.delete("/synonyms/{group_id}", response={204: None}, summary="Delete a synonym group")
@transaction.atomic
def synonym_delete_view(request: HttpRequest, group_id: int) -> Status[None]:
    requester = requester_for(request.user)
    services.synonym_group_delete(group=_synonym_group(group_id), actor=requester.user)
    return Status(204, None)


@router.get(
    "/misses",
    response=SearchMissListOut,
    summary="Searches that found nothing, most frequent first (articles to write)",
)
def miss_list_view(request: HttpRequest, limit: int = 100) -> SearchMissListOut:
    requester_for(request.user)
    misses = search_misses_open()
    page = misses[: max(1, min(limit, MAX_LIST))]
    return SearchMissListOut(items=[miss_out(miss) for miss in page], count=misses.count())


@router.post(
    "/misses/{miss_id}/resolve", response=SearchMissOut, summary="Mark a search miss dealt with"
)
@transaction.atomic
def miss_resolve_view(request: HttpRequest, miss_id: int) -> SearchMissOut:
    requester = requester_for(request.user)
    miss = SearchMiss.objects.filter(pk=miss_id).first()
    if miss is None:
        raise NotFound(_("Search miss %(id)s not found.") % {"id": miss_id})
    return miss_out(services.search_miss_resolve(miss=miss, actor=requester.user))
