"""Triage of a new ticket: classify it, suggest kind and priority, apply the routing rules,
and give it to the right agent, recording why at every step.

Runs as a task queued in the ticket's own transaction (``receivers``), so intake stays fast
and a classifier problem never loses a ticket. History being replayed (imports) is not
triaged: it already has its team and people.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from closeloop.core import clock, sql
from closeloop.core.cache import ProcessCache
from closeloop.core.errors import CloseloopError
from closeloop.customers.models import Customer
from closeloop.people.models import Agent, AgentSkill, Availability, Team, TeamMembership
from closeloop.sla.models import Calendar
from closeloop.sla.policies import calendar_named
from closeloop.tickets.models import OPEN_STATUSES, AuthorKind, Kind, Message, Ticket
from closeloop.tickets.services import Actor, ticket_assign, ticket_update
from closeloop.triage.classifier import TextClassifier, classifier_from_bytes
from closeloop.triage.cues import PRIORITY_RANK, suggest
from closeloop.triage.decisions import ticket_text, triage_record
from closeloop.triage.models import (
    AgentRouting,
    Category,
    CategorySkill,
    ClassifierVersion,
    RoutingRule,
    TagSource,
    TicketTriage,
)
from closeloop.triage.routing import (
    AgentState,
    Rule,
    TicketFacts,
    apply_rules,
    choose_agent,
    keywords_of,
)
from closeloop.triage.tags import ticket_tags_add
from closeloop.triage.versions import version_active, version_active_loaded

logger = logging.getLogger(__name__)

# Rules, the taxonomy and skills change rarely and are read for every ticket.
_cache = ProcessCache(seconds=10.0)


def clear_caches(**_kwargs: object) -> None:
    """Forget cached rules, categories and skills (after an edit here; between tests)."""
    _cache.clear()


def _load_categories() -> dict[str, Any]:
    categories = {c.pk: c for c in Category.objects.select_related("team", "sla_policy")}
    paths: dict[str, tuple[str, ...]] = {}
    for category in categories.values():
        path = [category.code]
        parent = categories.get(category.parent_id) if category.parent_id else None
        while parent is not None:
            path.insert(0, parent.code)
            parent = categories.get(parent.parent_id) if parent.parent_id else None
        paths[category.code] = tuple(path)
    skills: dict[int, dict[str, int]] = {}
    for category_id, code, level in CategorySkill.objects.values_list(
        "category_id", "skill__code", "min_level"
    ):
        skills.setdefault(category_id, {})[code] = level
    return {
        "by_code": {c.code: c for c in categories.values()},
        "paths": paths,
        "skills": skills,
    }


def _load_rules() -> list[Rule]:
    rules = []
    for row in (
        RoutingRule.objects.filter(is_active=True)
        .prefetch_related("categories")
        .select_related("set_team")
    ):
        rules.append(
            Rule(
                id=row.pk,
                name=row.name,
                categories=frozenset(c.code for c in row.categories.all()),
                kinds=frozenset(row.kinds or ()),
                channels=frozenset(row.channels or ()),
                priorities=frozenset(row.priorities or ()),
                segments=frozenset(row.segments or ()),
                languages=frozenset(str(x).lower() for x in (row.languages or ())),
                keywords=tuple(keywords_of(row.keywords)),
                set_team=row.set_team.code if row.set_team else "",
                set_agent=row.set_agent_id,
                set_priority=row.set_priority,
                add_tags=tuple(t.strip() for t in row.add_tags.split(",") if t.strip()),
                stop=row.stop,
            )
        )
    return rules


def _load_classifier(version: ClassifierVersion) -> TextClassifier:
    return classifier_from_bytes(bytes(version.model))


def _language(customer: Customer, text: str) -> str:
    if customer.language:
        return customer.language
    return "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text[:500]) else "en"


def _load_skills() -> dict[int, dict[str, int]]:
    skills: dict[int, dict[str, int]] = {}
    for agent_id, code, level in AgentSkill.objects.values_list("agent_id", "skill__code", "level"):
        skills.setdefault(agent_id, {})[code] = level
    return skills


_roster_sql: dict[str, str] = {}


def _roster_query() -> str:
    vendor = transaction.get_connection().vendor
    query = _roster_sql.get(vendor)
    if query is None:
        marks = ", ".join(["%s"] * len(OPEN_STATUSES))
        query = (
            "SELECT a.id, a.availability, a.capacity, r.last_assigned_at, c.name, "  # noqa: S608
            f"(SELECT COUNT(*) FROM {sql.table(Ticket)} t "
            f"WHERE t.assignee_id = a.id AND t.status IN ({marks})) "
            f"FROM {sql.table(Agent)} a "
            f"JOIN {sql.table(TeamMembership)} m ON m.agent_id = a.id "
            f"JOIN {sql.table(User)} u ON u.id = a.user_id "
            f"LEFT JOIN {sql.table(AgentRouting)} r ON r.agent_id = a.id "
            f"LEFT JOIN {sql.table(Calendar)} c ON c.id = r.calendar_id "
            "WHERE m.team_id = %s AND u.is_active = %s"
        )
        _roster_sql[vendor] = query
    return query


def team_agent_states(team: Team, *, now: Any = None) -> list[AgentState]:
    """Every active member of the team as assignment sees them: availability, load and
    round-robin position live (one compiled read), skills from a per-process cache."""
    now = now or clock.now()
    skills = _cache.get("skills", _load_skills)
    states = []
    for agent_id, availability, capacity, last_assigned, calendar_name, open_count in sql.select(
        _roster_query(), [*OPEN_STATUSES, team.pk, True]
    ):
        working = True
        if calendar_name:
            calendar = calendar_named(calendar_name)
            working = calendar is None or calendar.is_open(now)
        states.append(
            AgentState(
                id=agent_id,
                online=availability == Availability.ONLINE,
                working=working,
                capacity=capacity,
                open_tickets=open_count,
                skills=skills.get(agent_id, {}),
                last_assigned_at=sql.aware(last_assigned) if last_assigned else None,
            )
        )
    return states


def triage_ticket(ticket_id: int) -> TicketTriage | None:
    """Classify, prioritise and route one new ticket (idempotent: a triaged ticket is left
    alone). Returns its triage record.

    A ticket the FAQ bot holds is left alone too: the bot calls this again when it hands the
    conversation to a person.
    """
    with transaction.atomic():
        ticket = Ticket.objects.select_related("customer", "team").get(pk=ticket_id)
        if (
            ticket.is_with_bot
            or not ticket.is_open
            or TicketTriage.objects.filter(ticket=ticket).exists()
        ):
            return None
        return _triage(ticket)


def _triage(ticket: Ticket) -> TicketTriage:
    body = (
        Message.objects.filter(ticket=ticket, author_kind=AuthorKind.CUSTOMER)
        .order_by("created_at", "id")
        .values_list("body", flat=True)
        .first()
    )
    text = ticket_text(ticket.subject, body)
    taxonomy = _cache.get("categories", _load_categories)
    classifier = version_active_loaded(_load_classifier)
    version = version_active() if classifier is not None else None
    category: Category | None = None
    confidence: float | None = None
    reason: dict[str, Any] = {}
    if classifier is not None and version is not None:
        prediction = classifier.predict([text])[0]
        category = taxonomy["by_code"].get(prediction.label)
        confidence = prediction.confidence
        reason["top"] = [[label, round(score, 3)] for label, score in prediction.top[:3]]
    record = triage_record(
        ticket=ticket, category=category, confidence=confidence, version=version, reason=reason
    )
    trusted = category if not record.needs_triage else None

    changes: dict[str, Any] = {}
    why: list[str] = []
    if trusted is not None:
        why.append(f"category {trusted.code} ({confidence:.2f})")
        if trusted.default_kind and ticket.kind == Kind.INQUIRY:
            changes["kind"] = trusted.default_kind
        if (
            trusted.default_priority
            and PRIORITY_RANK[trusted.default_priority] > PRIORITY_RANK[ticket.priority]
        ):
            changes["priority"] = trusted.default_priority
        if trusted.sla_policy is not None and trusted.sla_policy.name != ticket.sla_policy_pin:
            changes["sla_policy_pin"] = trusted.sla_policy.name
    customer = ticket.customer
    recent = (
        Ticket.objects.filter(
            customer=customer, created_at__gte=ticket.created_at - timedelta(days=7)
        )
        .exclude(pk=ticket.pk)
        .count()
    )
    cues = suggest(
        text,
        current_priority=changes.get("priority", ticket.priority),
        segment=customer.segment,
        recent_contacts=recent,
    )
    if cues.kind and "kind" not in changes and ticket.kind == Kind.INQUIRY:
        changes["kind"] = cues.kind
    if cues.priority:
        changes["priority"] = cues.priority
    why.extend(cues.reasons)

    facts = TicketFacts(
        category=trusted.code if trusted else "",
        category_path=taxonomy["paths"].get(trusted.code, ()) if trusted else (),
        kind=changes.get("kind", ticket.kind),
        channel=ticket.channel,
        priority=changes.get("priority", ticket.priority),
        segment=customer.segment,
        language=_language(customer, text),
        text=text,
    )
    outcome = apply_rules(facts, _cache.get("rules", _load_rules))
    if outcome.priority:
        changes["priority"] = outcome.priority
    why.extend(f"rule {m['rule']}" for m in outcome.matched)
    team = None
    if outcome.team:
        team = Team.objects.filter(code=outcome.team).first()
    elif trusted is not None and trusted.team_id and ticket.team_id is None:
        team = trusted.team  # a team someone chose at creation stands; rules may override
    actor = Actor.system()
    explanation = "triage: " + "; ".join(why) if why else "triage"
    if changes or (team is not None and team.pk != ticket.team_id):
        ticket = ticket_update(
            ticket=ticket, actor=actor, changes=changes, team=team, reason=explanation[:2000]
        )
    if outcome.tags:
        ticket_tags_add(ticket=ticket, names=outcome.tags, actor=actor, source=TagSource.RULE)

    routing: dict[str, Any] = {"rules": outcome.matched}
    assignee_id = outcome.agent
    team = team or ticket.team
    if ticket.assignee_id is not None:
        # Someone gave it to a person before triage ran: a person's choice stands.
        assignee_id = None
        routing["assignment"] = "already_assigned"
    elif assignee_id is None and team is not None:
        required = taxonomy["skills"].get(trusted.pk, {}) if trusted else {}
        choice = choose_agent(
            team_agent_states(team),
            required_skills=required,
            dedicated_agent=customer.dedicated_agent_id,
            segment=customer.segment,
        )
        assignee_id = choice.agent_id
        routing.update({"assignment": choice.reason, "scores": choice.scores, "team": team.code})
    if assignee_id is not None:
        agent = Agent.objects.select_related("user").get(pk=assignee_id)
        try:
            ticket_assign(
                ticket=ticket,
                assignee=agent,
                actor=actor,
                team=team,
                reason=f"routing: {routing.get('assignment', 'rule')}",
            )
        except CloseloopError as error:
            routing["assignment_refused"] = error.code
        else:
            AgentRouting.objects.update_or_create(
                agent_id=assignee_id, defaults={"last_assigned_at": clock.now()}
            )
            routing["agent_id"] = assignee_id
    record.reason = {**record.reason, "why": why, "routing": routing}
    record.save(update_fields=["reason"])
    return record


def reroute_open_chats(agent_id: int) -> list[int]:
    """An agent went offline: their open chat conversations go to another available member of
    the ticket's team (a chat cannot wait for them); returns the tickets moved. Tickets on
    other channels stay with the agent, who answers them later."""
    moved: list[int] = []
    chats = Ticket.objects.filter(
        assignee_id=agent_id, channel="chat", status__in=OPEN_STATUSES
    ).select_related("team", "customer")
    for ticket in chats:
        if ticket.team is None:
            continue
        states = [s for s in team_agent_states(ticket.team) if s.id != agent_id]
        choice = choose_agent(
            states,
            dedicated_agent=ticket.customer.dedicated_agent_id,
            segment=ticket.customer.segment,
        )
        if choice.agent_id is None:
            continue
        with transaction.atomic():
            ticket_assign(
                ticket=ticket,
                assignee=Agent.objects.select_related("user").get(pk=choice.agent_id),
                actor=Actor.system(),
                reason=f"routing: agent {agent_id} went offline ({choice.reason})",
            )
            AgentRouting.objects.update_or_create(
                agent_id=choice.agent_id, defaults={"last_assigned_at": clock.now()}
            )
        moved.append(ticket.pk)
    return moved
