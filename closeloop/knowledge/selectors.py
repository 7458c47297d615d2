"""Reading the knowledge base: article lists, an article's usage figures, open search misses."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from closeloop.knowledge.models import (
    Article,
    ArticleUse,
    SearchMiss,
    SelfServiceKind,
    SelfServiceSuccess,
    UseKind,
)


def articles_filtered(
    *,
    status: str | None = None,
    language: str | None = None,
    category_ids: list[int] | None = None,
    visibility: str | None = None,
) -> QuerySet[Article]:
    """Articles for the editors' list, newest change first."""
    articles = Article.objects.select_related("category").order_by("-updated_at", "-id")
    if status:
        articles = articles.filter(status=status)
    if language:
        articles = articles.filter(language=language)
    if category_ids is not None:
        articles = articles.filter(category_id__in=category_ids)
    if visibility:
        articles = articles.filter(visibility=visibility)
    return articles


def search_misses_open() -> QuerySet[SearchMiss]:
    """Searches that found nothing and nobody has dealt with yet, most frequent first."""
    return SearchMiss.objects.filter(is_resolved=False).order_by("-count", "-last_at", "id")


@dataclass(frozen=True)
class ArticleStats:
    """How an article has been used."""

    views: int
    helpful: int
    unhelpful: int
    linked: int
    inserted: int
    bot_answered: int
    tickets: int
    self_service_successes: int

    @property
    def helpful_share(self) -> float | None:
        """Helpful votes ÷ all votes (None without votes)."""
        votes = self.helpful + self.unhelpful
        return self.helpful / votes if votes else None


def article_stats(article: Article) -> ArticleStats:
    """The article's usage: views and votes, agents' links and inserts, bot answers."""
    counts = ArticleUse.objects.filter(article=article).aggregate(
        **{kind.value: Count("id", filter=Q(kind=kind)) for kind in UseKind},
        tickets=Count("ticket", distinct=True),
    )
    successes = SelfServiceSuccess.objects.filter(
        article=article, kind=SelfServiceKind.ARTICLE_HELPFUL
    ).count()
    return ArticleStats(
        views=counts[UseKind.VIEWED.value],
        helpful=counts[UseKind.HELPFUL.value],
        unhelpful=counts[UseKind.UNHELPFUL.value],
        linked=counts[UseKind.LINKED.value],
        inserted=counts[UseKind.INSERTED.value],
        bot_answered=counts[UseKind.BOT_ANSWERED.value],
        tickets=counts["tickets"],
        self_service_successes=successes,
    )
