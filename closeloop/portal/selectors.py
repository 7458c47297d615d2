"""Reading what the portal shows: help articles and their sections, the request types, and a
signed-in customer's own tickets (never anyone else's, never internal notes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from closeloop.customers.models import Customer
from closeloop.knowledge.models import Article, ArticleStatus, Visibility
from closeloop.tickets.models import EventType, Message, Status, Ticket, TicketEvent
from closeloop.triage.models import Category, Family, is_chinese
from closeloop.triage.taxonomy import leaf_categories

# How a status reads to the customer: a short badge, and a sentence for the history.
STATUS_BADGES = {
    Status.NEW: _("Received"),
    Status.ASSIGNED: _("Assigned"),
    Status.IN_PROGRESS: _("In progress"),
    Status.PENDING_CUSTOMER: _("Waiting for you"),
    Status.RESOLVED: _("Solved: please confirm"),
    Status.CLOSED: _("Closed"),
}
STATUS_SENTENCES = {
    Status.NEW: _("We received your request."),
    Status.ASSIGNED: _("Someone from our team took your request."),
    Status.IN_PROGRESS: _("We are working on it."),
    Status.PENDING_CUSTOMER: _("We are waiting for your answer."),
    Status.RESOLVED: _("We believe it is solved and asked you to confirm."),
    Status.CLOSED: _("The request was closed."),
}


def article_language(language: str) -> str:
    """The article language for a page language."""
    return "zh-hans" if is_chinese(language or "") else "en"


def public_articles(language: str | None = None) -> QuerySet[Article]:
    """Published public articles (in one language when given)."""
    articles = Article.objects.filter(status=ArticleStatus.PUBLISHED, visibility=Visibility.PUBLIC)
    if language:
        articles = articles.filter(language=article_language(language))
    return articles


def article_for_customer(slug: str) -> Article | None:
    """A published public article by slug; None for drafts, archived and internal ones."""
    return public_articles().select_related("category", "translation_of").filter(slug=slug).first()


def article_translations(article: Article) -> list[Article]:
    """The same article in the other languages customers may read."""
    root_id = article.translation_of_id or article.pk
    return list(
        public_articles()
        .filter(Q(pk=root_id) | Q(translation_of_id=root_id))
        .exclude(pk=article.pk)
        .order_by("language")
    )


def related_public(article: Article) -> list[Article]:
    """Related articles a customer may read."""
    return list(public_articles().filter(pk__in=article.related.values("pk"))[:6])


def popular_articles(language: str, *, limit: int = 6) -> list[Article]:
    """The most read public articles in the page language."""
    return list(public_articles(language).order_by("-view_count", "title")[:limit])


@dataclass
class HelpGroup:
    """A taxonomy group (or family) with how many public articles are filed under it."""

    code: str
    name: str
    count: int


@dataclass
class HelpFamily:
    """A taxonomy family and its groups that have public articles."""

    code: str
    name: str
    groups: list[HelpGroup] = field(default_factory=list)


def _subtree_ids(category: Category) -> list[int]:
    ids = [category.pk]
    frontier = [category.pk]
    for _level in range(3):
        frontier = list(
            Category.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
        )
        if not frontier:
            break
        ids += frontier
    return ids


def help_sections(language: str) -> list[HelpFamily]:
    """Families and their groups with at least one public article in the page language."""
    counts = {
        row["category_id"]: row["n"]
        for row in public_articles(language)
        .filter(category__isnull=False)
        .order_by()
        .values("category_id")
        .annotate(n=Count("id"))
    }
    if not counts:
        return []
    categories = {c.pk: c for c in Category.objects.filter(is_active=True)}
    per_group: dict[int, int] = {}
    for category_id, count in counts.items():
        node = categories.get(category_id)
        if node is None:
            continue
        # A problem type counts towards its group (the second level); a group towards itself.
        chain = [node]
        while chain[-1].parent_id is not None and chain[-1].parent_id in categories:
            chain.append(categories[chain[-1].parent_id])
        group = chain[-2] if len(chain) >= 2 else chain[-1]
        per_group[group.pk] = per_group.get(group.pk, 0) + count
    families: dict[str, HelpFamily] = {}
    for value, label in Family.choices:
        families[value] = HelpFamily(code=value, name=str(label))
    for group_id, count in per_group.items():
        group = categories[group_id]
        families[group.family].groups.append(
            HelpGroup(code=group.code, name=group.display_name(language), count=count)
        )
    for family in families.values():
        family.groups.sort(key=lambda g: g.name)
    return [family for family in families.values() if family.groups]


def category_for_help(code: str) -> Category | None:
    """An active category by code."""
    return Category.objects.filter(code=code, is_active=True).first()


def category_articles(category: Category, language: str) -> list[Article]:
    """Public articles filed under a category or anything below it, in the page language."""
    ids = _subtree_ids(category)
    return list(public_articles(language).filter(category_id__in=ids).order_by("title")[:200])


@dataclass
class RequestTypeGroup:
    """Problem types of one family, for the request form's grouped select."""

    name: str
    choices: list[tuple[str, str]]


def request_type_groups(language: str) -> list[RequestTypeGroup]:
    """The active problem types grouped by family, named in the page language."""
    groups: dict[str, RequestTypeGroup] = {
        value: RequestTypeGroup(name=str(label), choices=[]) for value, label in Family.choices
    }
    for category in leaf_categories():
        groups[category.family].choices.append((category.code, category.display_name(language)))
    return [group for group in groups.values() if group.choices]


def customer_tickets(customer: Customer) -> QuerySet[Ticket]:
    """The customer's tickets from every channel, latest activity first."""
    return Ticket.objects.filter(customer=customer).order_by("-updated_at", "-id")


def customer_ticket(customer: Customer, number: int) -> Ticket | None:
    """One of the customer's tickets by number; None when it is not theirs (or not there)."""
    return Ticket.objects.filter(customer=customer, number=number).first()


def ticket_public_messages(ticket: Ticket) -> list[Message]:
    """The messages the customer may see (no internal notes), oldest first."""
    return list(
        Message.objects.filter(ticket=ticket, is_public=True)
        .exclude(author_kind="system")
        .select_related("author_agent")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


@dataclass(frozen=True)
class HistoryEntry:
    """One step of a ticket's history in plain words."""

    at: datetime
    text: str


def ticket_history(ticket: Ticket) -> list[HistoryEntry]:
    """When the ticket was opened and every status it went through, in plain words."""
    entries = [HistoryEntry(at=ticket.created_at, text=str(STATUS_SENTENCES[Status.NEW]))]
    events = TicketEvent.objects.filter(ticket=ticket, type=EventType.STATUS_CHANGED).order_by(
        "created_at", "id"
    )
    for event in events:
        before = str(event.before.get("status", ""))
        after = str(event.after.get("status", ""))
        if after == Status.IN_PROGRESS and before in (Status.RESOLVED, Status.CLOSED):
            text = str(_("The request was reopened."))
        elif after == Status.CLOSED and event.after.get("confirmed"):
            text = str(_("You confirmed it is solved; the request was closed."))
        elif after in STATUS_SENTENCES:
            text = str(STATUS_SENTENCES[Status(after)])
        else:
            continue
        entries.append(HistoryEntry(at=event.created_at, text=text))
    return entries
