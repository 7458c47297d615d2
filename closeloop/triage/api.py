"""Triage over HTTP: the taxonomy, tags, the needs-triage list, corrections and classifier
versions. Each handler: validate input → load and authorise → one service → output."""

from datetime import datetime, timedelta

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field as SchemaField
from ninja import Query, Router, Schema

from closeloop.core import clock
from closeloop.core.errors import InvalidInput, NotFound, PermissionDenied
from closeloop.people.access import Requester, requester_for
from closeloop.people.models import Team
from closeloop.sla.models import SlaPolicy
from closeloop.tickets.models import Ticket
from closeloop.tickets.selectors import ticket_visible
from closeloop.tickets.services import Actor
from closeloop.triage import decisions, tags, versions
from closeloop.triage.models import ClassifierVersion, Tag, TicketTriage
from closeloop.triage.schemas import (
    ClassifierVersionListOut,
    ClassifierVersionOut,
    CorrectionIn,
    NeedsTriageItemOut,
    NeedsTriageListOut,
    TagListOut,
    TagOut,
    TagStatisticsOut,
    TaxonomyOut,
    TicketTagsIn,
    TicketTagsOut,
    TriageOut,
    category_out,
    tag_statistics_out,
    triage_out,
    version_out,
)
from closeloop.triage.taxonomy import category_by_code, category_tree, leaf_categories

router = Router(tags=["triage"])

DEFAULT_STATISTICS_DAYS = 30
MAX_LIST = 500


def _language(requester: Requester, lang: str | None) -> str:
    if lang:
        return lang
    return requester.agent.language if requester.agent is not None else "en"


def _require_admin(requester: Requester) -> None:
    if not requester.is_admin:
        raise PermissionDenied(_("Only administrators can change the classifier."))


class TaxonomyQuery(Schema):
    lang: str | None = SchemaField(None, max_length=20, description="zh or en (zh-hans, …)")
    include_inactive: bool = False


@router.get("/taxonomy", response=TaxonomyOut, summary="The problem taxonomy as a tree")
def taxonomy_view(request: HttpRequest, query: Query[TaxonomyQuery]) -> TaxonomyOut:
    requester = requester_for(request.user)
    language = _language(requester, query.lang)
    include_inactive = query.include_inactive and requester.is_admin
    tree = category_tree(language=language, include_inactive=include_inactive)
    teams = dict(Team.objects.values_list("pk", "code"))
    policies = dict(SlaPolicy.objects.values_list("pk", "name"))
    return TaxonomyOut(
        language=language,
        families=[category_out(node, teams=teams, policies=policies) for node in tree],
        leaf_count=leaf_categories(include_inactive=include_inactive).count(),
    )


class TagQuery(Schema):
    q: str | None = SchemaField(None, max_length=2000, description="Suggest tags for this text")
    limit: int = SchemaField(20, ge=1, le=MAX_LIST)


@router.get("/tags", response=TagListOut, summary="The tag library, or suggestions for a text")
def tag_list_view(request: HttpRequest, query: Query[TagQuery]) -> TagListOut:
    requester_for(request.user)
    if query.q is not None and query.q.strip():
        suggestions = tags.tag_suggestions(query.q, limit=min(query.limit, tags.MAX_SUGGESTIONS))
        return TagListOut(
            items=[
                TagOut(
                    name=suggestion.tag.name,
                    category=suggestion.tag.category.code if suggestion.tag.category else None,
                    score=suggestion.score,
                )
                for suggestion in suggestions
            ]
        )
    library = Tag.objects.select_related("category").order_by("name")[: query.limit]
    return TagListOut(
        items=[
            TagOut(name=tag.name, category=tag.category.code if tag.category else None, score=None)
            for tag in library
        ]
    )


class StatisticsQuery(Schema):
    since: datetime | None = None
    until: datetime | None = None


def _aware(value: datetime | None, *, field: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise InvalidInput(
            _("%(field)s needs a UTC offset, e.g. 2026-01-05T10:00+08:00.") % {"field": field},
            details={"field": field},
        )
    return value


@router.get(
    "/tags/statistics",
    response=TagStatisticsOut,
    summary="Tag use per tag and category, against the previous period",
)
def tag_statistics_view(request: HttpRequest, query: Query[StatisticsQuery]) -> TagStatisticsOut:
    requester_for(request.user)
    until = _aware(query.until, field="until") or clock.now()
    since = _aware(query.since, field="since") or until - timedelta(days=DEFAULT_STATISTICS_DAYS)
    return tag_statistics_out(tags.tag_statistics(since=since, until=until))


def _tags_out(ticket: Ticket, change: tags.TagChange) -> TicketTagsOut:
    before = {name.lower() for name in change.before}
    after = {name.lower() for name in change.after}
    return TicketTagsOut(
        ticket_id=ticket.pk,
        tags=change.after,
        added=[name for name in change.after if name.lower() not in before],
        removed=[name for name in change.before if name.lower() not in after],
    )


@router.get("/tickets/{ticket_id}/tags", response=TicketTagsOut, summary="A ticket's tags")
def ticket_tags_view(request: HttpRequest, ticket_id: int) -> TicketTagsOut:
    ticket = ticket_visible(requester_for(request.user), pk=ticket_id)
    names = tags.ticket_tag_names(ticket)
    return TicketTagsOut(ticket_id=ticket.pk, tags=names, added=[], removed=[])


@router.post("/tickets/{ticket_id}/tags", response=TicketTagsOut, summary="Tag a ticket")
@transaction.atomic
def ticket_tags_add_view(
    request: HttpRequest, ticket_id: int, payload: TicketTagsIn
) -> TicketTagsOut:
    requester = requester_for(request.user)
    ticket = ticket_visible(requester, pk=ticket_id)
    change = tags.ticket_tags_add(
        ticket=ticket, names=payload.tags, actor=Actor.of_requester(requester)
    )
    return _tags_out(ticket, change)


@router.delete(
    "/tickets/{ticket_id}/tags/{name}", response=TicketTagsOut, summary="Take a tag off a ticket"
)
@transaction.atomic
def ticket_tag_remove_view(request: HttpRequest, ticket_id: int, name: str) -> TicketTagsOut:
    requester = requester_for(request.user)
    ticket = ticket_visible(requester, pk=ticket_id)
    change = tags.ticket_tags_remove(
        ticket=ticket, names=[name], actor=Actor.of_requester(requester)
    )
    return _tags_out(ticket, change)


class NeedsTriageQuery(Schema):
    lang: str | None = SchemaField(None, max_length=20)
    limit: int = SchemaField(100, ge=1, le=MAX_LIST)


@router.get(
    "/needs-triage",
    response=NeedsTriageListOut,
    summary="Open tickets whose category a person has to decide",
)
def needs_triage_view(request: HttpRequest, query: Query[NeedsTriageQuery]) -> NeedsTriageListOut:
    requester = requester_for(request.user)
    language = _language(requester, query.lang)
    tickets = decisions.needs_triage_tickets(requester)
    return NeedsTriageListOut(
        items=[
            NeedsTriageItemOut(
                id=ticket.pk,
                number=ticket.number,
                subject=ticket.subject,
                status=ticket.status,
                priority=ticket.priority,
                created_at=ticket.created_at,
                triage=triage_out(ticket.triage, language=language),
            )
            for ticket in tickets[: query.limit]
        ],
        count=tickets.count(),
    )


@router.get("/tickets/{ticket_id}", response=TriageOut, summary="A ticket's category decision")
def ticket_triage_view(request: HttpRequest, ticket_id: int, lang: str | None = None) -> TriageOut:
    requester = requester_for(request.user)
    ticket = ticket_visible(requester, pk=ticket_id)
    record = TicketTriage.objects.select_related("category").filter(ticket=ticket).first()
    if record is None:
        raise NotFound(_("Ticket %(id)s has not been triaged.") % {"id": ticket_id})
    return triage_out(record, language=_language(requester, lang))


@router.post(
    "/tickets/{ticket_id}/correction",
    response=TriageOut,
    summary="Set or correct a ticket's problem type",
)
@transaction.atomic
def correction_view(request: HttpRequest, ticket_id: int, payload: CorrectionIn) -> TriageOut:
    requester = requester_for(request.user)
    ticket = ticket_visible(requester, pk=ticket_id)
    actor = Actor.of_requester(requester)
    category = category_by_code(payload.category, leaf_only=True)
    assert actor.agent is not None  # noqa: S101 (checked by Actor.of_requester)
    record = decisions.triage_correct(ticket=ticket, category=category, agent=actor.agent)
    return triage_out(record, language=_language(requester, None))


def _version_numbers() -> dict[int, int]:
    return dict(ClassifierVersion.objects.values_list("pk", "number"))


@router.get(
    "/classifier/versions",
    response=ClassifierVersionListOut,
    summary="Trained classifier versions, newest first",
)
def versions_view(request: HttpRequest) -> ClassifierVersionListOut:
    requester_for(request.user)
    numbers = _version_numbers()
    return ClassifierVersionListOut(
        items=[
            version_out(version, numbers=numbers)
            for version in ClassifierVersion.objects.defer("model").order_by("-number")
        ]
    )


@router.post(
    "/classifier/versions/{number}/activate",
    response=ClassifierVersionOut,
    summary="Classify with this version from now on (administrators)",
)
@transaction.atomic
def version_activate_view(request: HttpRequest, number: int) -> ClassifierVersionOut:
    _require_admin(requester_for(request.user))
    version = ClassifierVersion.objects.defer("model").filter(number=number).first()
    if version is None:
        raise NotFound(_("Classifier version %(number)s not found.") % {"number": number})
    version = versions.version_activate(version)
    return version_out(version, numbers=_version_numbers())


@router.post(
    "/classifier/rollback",
    response=ClassifierVersionOut,
    summary="Go back to the version active before this one (administrators)",
)
@transaction.atomic
def version_rollback_view(request: HttpRequest) -> ClassifierVersionOut:
    _require_admin(requester_for(request.user))
    version = versions.version_rollback()
    return version_out(version, numbers=_version_numbers())
