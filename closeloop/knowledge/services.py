"""Changing the knowledge base: articles (each save a new version, the search index kept in
the same transaction), their usage and votes, synonyms, and searches without a result."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils.text import slugify
from django.utils.translation import gettext as _

from closeloop.core import clock
from closeloop.core.errors import ConcurrentChange, InvalidInput, InvalidTransition
from closeloop.customers.models import Customer
from closeloop.knowledge import index
from closeloop.knowledge.markdown import render_markdown
from closeloop.knowledge.models import (
    Article,
    ArticleStatus,
    ArticleUse,
    ArticleVersion,
    Language,
    SearchMiss,
    SelfServiceKind,
    SelfServiceSuccess,
    SynonymGroup,
    UseKind,
    Visibility,
)
from closeloop.knowledge.search import clear_synonym_cache
from closeloop.people.models import Agent
from closeloop.tickets.models import Ticket
from closeloop.triage.models import Category

MAX_TITLE_LENGTH = 200
MAX_SUMMARY_LENGTH = 500
MAX_BODY_LENGTH = 100_000
MAX_QUESTION_LINES = 500
MAX_QUESTIONS_LENGTH = 50_000
MAX_NOTE_LENGTH = 300
MAX_SLUG_LENGTH = 120
MAX_SYNONYM_TERMS = 30
MAX_SYNONYM_TERM_LENGTH = 60

# What article_update may change; status changes go through publish and archive.
UPDATABLE_FIELDS = frozenset(
    {
        "title", "summary", "body", "questions", "language", "category", "visibility",
        "slug", "translation_of", "related",
    }
)  # fmt: skip
# The fields an ArticleVersion keeps (``related`` and ``translation_of`` are links, not text).
VERSIONED_FIELDS = (
    "title", "summary", "body", "questions", "status", "visibility", "category_code",
)  # fmt: skip
ALLOWED_STATUS_CHANGES: dict[str, frozenset[str]] = {
    ArticleStatus.DRAFT: frozenset({ArticleStatus.PUBLISHED, ArticleStatus.ARCHIVED}),
    ArticleStatus.PUBLISHED: frozenset({ArticleStatus.ARCHIVED}),
    ArticleStatus.ARCHIVED: frozenset({ArticleStatus.PUBLISHED}),
}
VOTE_KINDS = (UseKind.HELPFUL, UseKind.UNHELPFUL)
COUNTERS = {
    UseKind.VIEWED: "view_count",
    UseKind.HELPFUL: "helpful_count",
    UseKind.UNHELPFUL: "unhelpful_count",
}


# --- validation -----------------------------------------------------------------------------


def clean_text(value: Any, *, field: str, max_length: int, required: bool = False) -> str:
    """Stripped text of at most ``max_length`` characters; InvalidInput naming ``field``."""
    if not isinstance(value, str):
        raise InvalidInput(
            _("%(field)s must be text.") % {"field": field}, details={"field": field}
        )
    text = value.strip()
    if required and not text:
        raise InvalidInput(
            _("%(field)s cannot be empty.") % {"field": field}, details={"field": field}
        )
    if len(text) > max_length:
        raise InvalidInput(
            _("%(field)s can be at most %(max)s characters.") % {"field": field, "max": max_length},
            details={"field": field, "max_length": max_length},
        )
    return text


def clean_questions(value: Any) -> str:
    """Example questions, one a line, blank lines dropped, at most MAX_QUESTION_LINES."""
    text = clean_text(value, field="questions", max_length=MAX_QUESTIONS_LENGTH)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_QUESTION_LINES:
        raise InvalidInput(
            _("An article can have at most %(max)s example questions.")
            % {"max": MAX_QUESTION_LINES},
            details={"field": "questions", "max_lines": MAX_QUESTION_LINES},
        )
    return "\n".join(lines)


def _choice(value: Any, choices: Iterable[str], *, field: str) -> str:
    allowed = list(choices)
    if value not in allowed:
        raise InvalidInput(
            _("%(field)s must be one of %(choices)s.")
            % {"field": field, "choices": ", ".join(allowed)},
            details={"field": field},
        )
    return str(value)


def _slug(value: Any, *, exclude_id: int | None) -> str:
    slug = clean_text(value, field="slug", max_length=MAX_SLUG_LENGTH, required=True)
    if slugify(slug, allow_unicode=True) != slug:
        raise InvalidInput(
            _("A slug has only lower-case letters, digits and hyphens."), details={"field": "slug"}
        )
    others = Article.objects.filter(slug=slug)
    if exclude_id is not None:
        others = others.exclude(pk=exclude_id)
    if others.exists():
        raise InvalidInput(
            _("Another article already has the slug %(slug)s.") % {"slug": slug},
            details={"field": "slug"},
        )
    return slug


def unique_slug(title: str, *, exclude_id: int | None = None) -> str:
    """A slug made from the title (Chinese kept), with -2, -3 … when it is taken."""
    base = slugify(title, allow_unicode=True)[:100].strip("-") or "article"
    candidates = Article.objects.filter(slug__startswith=base)
    if exclude_id is not None:
        candidates = candidates.exclude(pk=exclude_id)
    taken = set(candidates.values_list("slug", flat=True))
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


def _translation_root(value: Any, *, article_id: int | None) -> Article | None:
    if value is None:
        return None
    if not isinstance(value, Article):
        raise InvalidInput(
            _("translation_of must be an article."), details={"field": "translation_of"}
        )
    root = value.translation_of or value
    if article_id is not None and root.pk == article_id:
        raise InvalidInput(
            _("An article cannot be a translation of itself."),
            details={"field": "translation_of"},
        )
    return root


def _related(values: Iterable[Any], *, article_id: int | None) -> list[Article]:
    related = list(values)
    if any(not isinstance(item, Article) for item in related):
        raise InvalidInput(_("related must be articles."), details={"field": "related"})
    if article_id is not None and any(item.pk == article_id for item in related):
        raise InvalidInput(
            _("An article cannot be related to itself."), details={"field": "related"}
        )
    return related


def _category(value: Any) -> Category | None:
    if value is not None and not isinstance(value, Category):
        raise InvalidInput(_("category must be a problem type."), details={"field": "category"})
    return value


def _snapshot(article: Article) -> dict[str, Any]:
    return {
        "title": article.title,
        "summary": article.summary,
        "body": article.body,
        "questions": article.questions,
        "status": article.status,
        "visibility": article.visibility,
        "category_code": article.category.code if article.category_id and article.category else "",
    }


def _append_version(
    article: Article, *, actor: User | None, changed: list[str], note: str
) -> ArticleVersion:
    snapshot = _snapshot(article)
    return ArticleVersion.objects.create(
        article=article,
        number=article.version,
        changed_by=actor,
        changed_fields=changed,
        note=note[:MAX_NOTE_LENGTH],
        created_at=article.updated_at,
        **snapshot,
    )


# --- articles -------------------------------------------------------------------------------


@transaction.atomic
def article_create(
    *,
    actor: User | None,
    title: str,
    body: str,
    language: str,
    category: Category | None = None,
    summary: str = "",
    questions: str = "",
    visibility: str = Visibility.PUBLIC,
    status: str = ArticleStatus.DRAFT,
    slug: str | None = None,
    translation_of: Article | None = None,
    related: Iterable[Article] = (),
) -> Article:
    """Write a new article (version 1); a published one is searchable at once."""
    title = clean_text(title, field="title", max_length=MAX_TITLE_LENGTH, required=True)
    body = clean_text(body, field="body", max_length=MAX_BODY_LENGTH, required=True)
    now = clock.now()
    article = Article(
        slug=_slug(slug, exclude_id=None) if slug else unique_slug(title),
        language=_choice(language, Language.values, field="language"),
        translation_of=_translation_root(translation_of, article_id=None),
        category=_category(category),
        title=title,
        summary=clean_text(summary, field="summary", max_length=MAX_SUMMARY_LENGTH),
        body=body,
        body_html=render_markdown(body),
        questions=clean_questions(questions),
        status=_choice(status, ArticleStatus.values, field="status"),
        visibility=_choice(visibility, Visibility.values, field="visibility"),
        version=1,
        created_by=actor,
        updated_by=actor,
        created_at=now,
        updated_at=now,
        published_at=now if status == ArticleStatus.PUBLISHED else None,
    )
    related_articles = _related(related, article_id=None)
    article.save()
    if related_articles:
        article.related.set(related_articles)
    changed = [field for field in VERSIONED_FIELDS if _snapshot(article)[field]]
    _append_version(article, actor=actor, changed=changed, note="")
    index.index_article(article)
    return article


def _clean_change(article: Article, field: str, value: Any) -> Any:
    if field == "title":
        return clean_text(value, field=field, max_length=MAX_TITLE_LENGTH, required=True)
    if field == "summary":
        return clean_text(value, field=field, max_length=MAX_SUMMARY_LENGTH)
    if field == "body":
        return clean_text(value, field=field, max_length=MAX_BODY_LENGTH, required=True)
    if field == "questions":
        return clean_questions(value)
    if field == "language":
        return _choice(value, Language.values, field=field)
    if field == "visibility":
        return _choice(value, Visibility.values, field=field)
    if field == "category":
        return _category(value)
    if field == "slug":
        return _slug(value, exclude_id=article.pk)
    if field == "translation_of":
        return _translation_root(value, article_id=article.pk)
    return _related(value, article_id=article.pk)  # "related"


def _save_new_version(
    article: Article,
    *,
    actor: User | None,
    updates: dict[str, Any],
    note: str,
    expected_version: int | None,
) -> Article:
    """Write ``updates`` and the next version, guarded by the version read (no lost edits)."""
    before = _snapshot(article)
    current = article.version if expected_version is None else expected_version
    now = clock.now()
    if "body" in updates:
        updates["body_html"] = render_markdown(updates["body"])
    written = Article.objects.filter(pk=article.pk, version=current).update(
        **updates, version=current + 1, updated_by=actor, updated_at=now
    )
    if not written:
        raise ConcurrentChange(
            _("Someone else changed this article meanwhile; reload it and try again."),
            details={"expected_version": current},
        )
    article = Article.objects.select_related("category").get(pk=article.pk)
    after = _snapshot(article)
    changed = [field for field in VERSIONED_FIELDS if before[field] != after[field]]
    changed += [field for field in ("slug", "language", "translation_of") if field in updates]
    _append_version(article, actor=actor, changed=changed, note=note)
    index.index_article(article)
    return article


@transaction.atomic
def article_update(
    *,
    article: Article,
    actor: User | None,
    note: str = "",
    expected_version: int | None = None,
    **changes: Any,
) -> Article:
    """Change an article's text, filing, visibility or links; a new version when anything
    changed. ``expected_version`` guards against overwriting someone else's edit."""
    unknown = sorted(set(changes) - UPDATABLE_FIELDS)
    if unknown:
        raise InvalidInput(
            _("These fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(unknown)},
            details={"fields": unknown},
        )
    note = clean_text(note, field="note", max_length=MAX_NOTE_LENGTH)
    if expected_version is not None and expected_version != article.version:
        article.refresh_from_db(fields=["version"])
        if expected_version != article.version:
            raise ConcurrentChange(
                _("Someone else changed this article meanwhile; reload it and try again."),
                details={"expected_version": expected_version, "version": article.version},
            )
    updates: dict[str, Any] = {}
    related: list[Article] | None = None
    for field, value in changes.items():
        cleaned = _clean_change(article, field, value)
        if field == "related":
            current = set(article.related.values_list("pk", flat=True))
            if {item.pk for item in cleaned} != current:
                related = cleaned
        elif getattr(article, field) != cleaned:
            updates[field] = cleaned
    if not updates and related is None:
        return article
    if related is not None:
        article.related.set(related)
    if not updates:
        return article
    return _save_new_version(
        article, actor=actor, updates=updates, note=note, expected_version=expected_version
    )


def _change_status(
    article: Article, *, status: str, actor: User | None, note: str, expected_version: int | None
) -> Article:
    if status not in ALLOWED_STATUS_CHANGES[article.status]:
        raise InvalidTransition(
            _("An article that is %(from)s cannot become %(to)s.")
            % {"from": article.status, "to": status},
            details={"from": article.status, "to": status},
        )
    updates: dict[str, Any] = {"status": status}
    if status == ArticleStatus.PUBLISHED:
        updates["published_at"] = clock.now()
    return _save_new_version(
        article, actor=actor, updates=updates, note=note, expected_version=expected_version
    )


@transaction.atomic
def article_publish(
    *, article: Article, actor: User | None, note: str = "", expected_version: int | None = None
) -> Article:
    """Publish a draft or archived article: customers (if public), agents and the bot find it."""
    return _change_status(
        article,
        status=ArticleStatus.PUBLISHED,
        actor=actor,
        note=note,
        expected_version=expected_version,
    )


@transaction.atomic
def article_archive(
    *, article: Article, actor: User | None, note: str = "", expected_version: int | None = None
) -> Article:
    """Archive an article: kept with its history, no longer searched or answered."""
    return _change_status(
        article,
        status=ArticleStatus.ARCHIVED,
        actor=actor,
        note=note,
        expected_version=expected_version,
    )


@transaction.atomic
def article_restore_version(*, article: Article, number: int, actor: User | None) -> Article:
    """Bring back the text, filing and visibility of an earlier version, as a new version."""
    version = ArticleVersion.objects.filter(article=article, number=number).first()
    if version is None:
        raise InvalidInput(
            _("Article %(id)s has no version %(number)s.") % {"id": article.pk, "number": number},
            details={"field": "number"},
        )
    category = (
        Category.objects.filter(code=version.category_code).first()
        if version.category_code
        else None
    )
    updates: dict[str, Any] = {}
    for field in ("title", "summary", "body", "questions", "visibility"):
        if getattr(article, field) != getattr(version, field):
            updates[field] = getattr(version, field)
    if (category.pk if category else None) != article.category_id:
        updates["category"] = category
    if not updates:
        return article
    return _save_new_version(
        article,
        actor=actor,
        updates=updates,
        note=_("Restored version %(number)s") % {"number": number},
        expected_version=None,
    )


@transaction.atomic
def article_delete(*, article: Article, actor: User | None) -> None:
    """Delete an article for good, with its versions and usage (archiving keeps them)."""
    index.index_remove(article.pk)
    article.delete()


# --- usage ----------------------------------------------------------------------------------


@transaction.atomic
def article_use_record(
    *,
    article: Article,
    kind: str,
    ticket: Ticket | None = None,
    agent: Agent | None = None,
    customer: Customer | None = None,
    channel: str = "",
    session_key: str = "",
) -> ArticleUse:
    """Record one use of an article (linked, inserted, viewed, answered by the bot …) and keep
    the article's counters with it. Votes go through ``article_vote``."""
    _choice(kind, UseKind.values, field="kind")
    use = ArticleUse.objects.create(
        article=article,
        kind=kind,
        ticket=ticket,
        agent=agent,
        customer=customer,
        channel=channel[:20],
        session_key=session_key[:64],
        created_at=clock.now(),
    )
    counter = COUNTERS.get(UseKind(kind))
    if counter is not None:
        Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    return use


@transaction.atomic
def article_vote(
    *,
    article: Article,
    helpful: bool,
    customer: Customer | None = None,
    session_key: str = "",
    channel: str = "portal",
) -> ArticleUse:
    """A reader says whether the article helped: one vote per reader (a second vote changes
    the first). A helpful public article counts once per reader as a self-service success."""
    session_key = session_key[:64]
    if customer is None and not session_key:
        raise InvalidInput(_("A vote needs a reader: a customer or a session."))
    if not article.is_public:
        raise InvalidInput(_("Only published public articles can be voted on."))
    kind = UseKind.HELPFUL if helpful else UseKind.UNHELPFUL
    votes = ArticleUse.objects.select_for_update().filter(article=article, kind__in=VOTE_KINDS)
    reader = {"customer": customer} if customer is not None else {"session_key": session_key}
    vote = votes.filter(**reader).order_by("id").first()
    if vote is None:
        vote = ArticleUse.objects.create(
            article=article,
            kind=kind,
            customer=customer,
            channel=channel[:20],
            session_key=session_key,
            created_at=clock.now(),
        )
        Article.objects.filter(pk=article.pk).update(**{COUNTERS[kind]: F(COUNTERS[kind]) + 1})
    elif vote.kind != kind:
        previous = COUNTERS[UseKind(vote.kind)]
        Article.objects.filter(pk=article.pk).update(
            **{COUNTERS[kind]: F(COUNTERS[kind]) + 1, previous: F(previous) - 1}
        )
        vote.kind = kind
        vote.created_at = clock.now()
        vote.save(update_fields=["kind", "created_at"])
    if helpful:
        _count_self_service(article, customer=customer, session_key=session_key, channel=channel)
    return vote


def _count_self_service(
    article: Article, *, customer: Customer | None, session_key: str, channel: str
) -> None:
    reference = "" if customer is not None else f"session:{session_key}"[:100]
    already = SelfServiceSuccess.objects.filter(
        kind=SelfServiceKind.ARTICLE_HELPFUL,
        article=article,
        customer=customer,
        reference=reference,
    ).exists()
    if not already:
        SelfServiceSuccess.objects.create(
            kind=SelfServiceKind.ARTICLE_HELPFUL,
            channel=channel[:20],
            customer=customer,
            article=article,
            reference=reference,
            created_at=clock.now(),
        )


# --- synonyms and misses --------------------------------------------------------------------


def clean_synonym_terms(terms: str) -> str:
    """Synonym terms as stored: at least two, distinct, joined by ", "."""
    text = clean_text(
        terms, field="terms", max_length=MAX_SYNONYM_TERMS * (MAX_SYNONYM_TERM_LENGTH + 2)
    )
    parts = SynonymGroup(terms=text).term_list
    if len(parts) < 2:
        raise InvalidInput(
            _("A synonym group needs at least two terms, separated by commas."),
            details={"field": "terms"},
        )
    if len(parts) > MAX_SYNONYM_TERMS or any(len(p) > MAX_SYNONYM_TERM_LENGTH for p in parts):
        raise InvalidInput(
            _("At most %(count)s terms of at most %(length)s characters each.")
            % {"count": MAX_SYNONYM_TERMS, "length": MAX_SYNONYM_TERM_LENGTH},
            details={"field": "terms"},
        )
    return ", ".join(dict.fromkeys(parts))


@transaction.atomic
def synonym_group_save(
    *,
    actor: User | None,
    terms: str,
    is_active: bool = True,
    group: SynonymGroup | None = None,
) -> SynonymGroup:
    """Create a synonym group, or change one; searches use it at once."""
    cleaned = clean_synonym_terms(terms)
    group = group or SynonymGroup()
    group.terms = cleaned
    group.is_active = is_active
    group.updated_at = clock.now()
    group.save()
    clear_synonym_cache()
    transaction.on_commit(clear_synonym_cache)
    return group


@transaction.atomic
def synonym_group_delete(*, group: SynonymGroup, actor: User | None) -> None:
    """Delete a synonym group."""
    group.delete()
    clear_synonym_cache()
    transaction.on_commit(clear_synonym_cache)


@transaction.atomic
def search_miss_resolve(*, miss: SearchMiss, actor: User | None) -> SearchMiss:
    """Mark a search without result as dealt with (an article now answers it)."""
    SearchMiss.objects.filter(pk=miss.pk).update(is_resolved=True)
    miss.is_resolved = True
    return miss
