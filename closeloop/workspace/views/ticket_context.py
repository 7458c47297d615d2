"""What the ticket page shows, read in a fixed number of queries whatever the number of
messages and events (the page's query count is asserted in a test)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from closeloop.core import clock
from closeloop.core.models import Organization
from closeloop.customers.models import Identity, IdentityKind
from closeloop.people.access import Requester
from closeloop.people.models import Agent, Team
from closeloop.tickets.models import (
    AuthorKind,
    Channel,
    EventType,
    Message,
    Priority,
    Status,
    Ticket,
    TicketEvent,
)
from closeloop.tickets.selectors import ticket_sla_state
from closeloop.triage.models import Category, TicketTriage, TriageSource
from closeloop.triage.tags import ticket_tag_names
from closeloop.triage.taxonomy import leaf_categories
from closeloop.workspace.models import Macro
from closeloop.workspace.services import macros_for

# The channel a reply through an identity of this kind goes out by.
IDENTITY_CHANNELS = {
    IdentityKind.EMAIL: Channel.EMAIL,
    IdentityKind.PHONE: Channel.SMS,
    IdentityKind.WECHAT: Channel.WECHAT,
    IdentityKind.APP: Channel.APP,
    IdentityKind.CHAT_VISITOR: Channel.CHAT,
}
# Channels a reply can be sent through (phone calls and the API are not).
REPLY_CHANNELS = frozenset(
    {Channel.EMAIL, Channel.SMS, Channel.WECHAT, Channel.APP, Channel.CHAT, Channel.PORTAL}
)
# Which actions the lifecycle offers from each status (the services enforce it).
ACTIONS_BY_STATUS: dict[str, tuple[str, ...]] = {
    Status.NEW: ("assign", "escalate"),
    Status.ASSIGNED: ("assign", "start", "escalate"),
    Status.IN_PROGRESS: ("assign", "pend", "resolve", "escalate"),
    Status.PENDING_CUSTOMER: ("assign", "start", "resolve", "escalate"),
    Status.RESOLVED: ("close", "reopen"),
    Status.CLOSED: ("reopen",),
}


@dataclass(frozen=True)
class Suggestion:
    """One of the classifier's top problem types for the ticket."""

    code: str
    name: str
    confidence: float

    @property
    def percent(self) -> int:
        """The confidence as a whole percentage."""
        return round(self.confidence * 100)


@dataclass
class TriageView:
    """The ticket's problem type and what the classifier suggested."""

    record: TicketTriage | None
    category_name: str = ""
    suggestions: list[Suggestion] = field(default_factory=list)
    suggested_priority: str = ""

    @property
    def is_decided_by_agent(self) -> bool:
        """An agent set or confirmed the category."""
        return self.record is not None and self.record.source == TriageSource.AGENT

    @property
    def needs_triage(self) -> bool:
        """A person still has to decide the category."""
        return self.record is None or self.record.needs_triage


@dataclass(frozen=True)
class HistoryEntry:
    """One event of the ticket's history, in words."""

    at: datetime
    who: str
    text: str
    reason: str


def _language() -> str:
    from django.utils.translation import get_language

    return "zh" if (get_language() or "").startswith("zh") else "en"


def _triage_view(ticket: Ticket) -> TriageView:
    record = TicketTriage.objects.select_related("category").filter(ticket_id=ticket.pk).first()
    language = _language()
    view = TriageView(record=record)
    if record is None:
        return view
    if record.category is not None:
        view.category_name = record.category.display_name(language)
    top = (record.reason or {}).get("top") or []
    codes = [str(entry[0]) for entry in top if isinstance(entry, list | tuple) and entry]
    categories = {c.code: c for c in Category.objects.filter(code__in=codes, is_active=True)}
    for entry in top:
        if not isinstance(entry, list | tuple) or len(entry) < 2:
            continue
        category = categories.get(str(entry[0]))
        if category is None:
            continue
        view.suggestions.append(
            Suggestion(
                code=category.code,
                name=category.display_name(language),
                confidence=float(entry[1]),
            )
        )
    best = categories.get(view.suggestions[0].code) if view.suggestions else None
    chosen = record.category if view.is_decided_by_agent else best
    if (
        chosen is not None
        and chosen.default_priority
        and chosen.default_priority != ticket.priority
    ):
        view.suggested_priority = chosen.default_priority
    return view


def reply_channels(ticket: Ticket, messages: list[Message]) -> tuple[list[tuple[str, str]], str]:
    """The channels a reply can go through (the customer's identities and the ticket's own
    channels) and the default one: the channel of the customer's latest message."""
    kinds = Identity.objects.filter(customer_id=ticket.customer_id).values_list("kind", flat=True)
    available: list[str] = []
    latest = ticket.channel
    for message in messages:
        if message.author_kind == AuthorKind.CUSTOMER:
            latest = message.channel
            available.append(message.channel)
    available.extend(IDENTITY_CHANNELS[IdentityKind(kind)] for kind in kinds)
    available.append(ticket.channel)
    ordered = [latest, *available]
    choices = [
        (channel, str(Channel(channel).label))
        for channel in dict.fromkeys(ordered)
        if channel in REPLY_CHANNELS
    ]
    default = latest if latest in REPLY_CHANNELS else (choices[0][0] if choices else "")
    return choices, default


def _agent_names(events: list[TicketEvent]) -> dict[int, str]:
    ids: set[int] = set()
    for event in events:
        for facts in (event.before, event.after):
            for key in ("assignee_id", "to_agent_id", "escalated_to_id"):
                value = facts.get(key) if isinstance(facts, dict) else None
                if isinstance(value, int):
                    ids.add(value)
    if not ids:
        return {}
    return dict(Agent.objects.filter(pk__in=ids).values_list("pk", "display_name"))


def _team_names(events: list[TicketEvent]) -> dict[int, str]:
    ids = {
        value
        for event in events
        for facts in (event.before, event.after)
        if isinstance(facts, dict)
        for key, value in facts.items()
        if key == "team_id" and isinstance(value, int)
    }
    if not ids:
        return {}
    return dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def event_text(event: TicketEvent, agents: dict[int, str], teams: dict[int, str]) -> str:
    """What the event did, in plain words."""
    before, after = event.before or {}, event.after or {}
    kind = event.type
    if kind == EventType.CREATED:
        return _("Opened through %(channel)s") % {"channel": _label(Channel, after.get("channel"))}
    if kind == EventType.STATUS_CHANGED:
        text = _("Status: %(before)s → %(after)s") % {
            "before": _label(Status, before.get("status")),
            "after": _label(Status, after.get("status")),
        }
        if after.get("merged_into"):
            text += " " + _("(merged into #%(number)s)") % {"number": after["merged_into"]}
        return text
    if kind == EventType.ASSIGNED:
        who = agents.get(after.get("assignee_id") or 0, _("nobody"))
        team = teams.get(after.get("team_id") or 0)
        if team:
            return _("Assigned to %(agent)s (%(team)s)") % {"agent": who, "team": team}
        return _("Assigned to %(agent)s") % {"agent": who}
    if kind == EventType.MESSAGE_ADDED:
        author = _label(AuthorKind, after.get("author_kind"))
        channel = _label(Channel, after.get("channel"))
        if after.get("is_public", True):
            return _("%(author)s wrote through %(channel)s") % {
                "author": author,
                "channel": channel,
            }
        return _("%(author)s added an internal note") % {"author": author}
    if kind == EventType.FIELD_CHANGED:
        if "merged_from" in after:
            return _("Ticket #%(number)s was merged into this one") % {
                "number": after["merged_from"]
            }
        if "merged_into" in after:
            return _("Linked to #%(number)s") % {"number": after["merged_into"]}
        names = [name for name in after if name != "merged_into"]
        name = names[0] if names else ""
        return _("%(field)s: %(before)s → %(after)s") % {
            "field": name.replace("_", " "),
            "before": _plain(before.get(name), teams),
            "after": _plain(after.get(name), teams),
        }
    if kind == EventType.ESCALATED:
        level = after.get("escalation_level", "?")
        to = agents.get(after.get("escalated_to_id") or 0)
        if to:
            return _("Escalated to level %(level)s: %(agent)s") % {"level": level, "agent": to}
        return _("Escalated to level %(level)s") % {"level": level}
    if kind in (EventType.SLA_WARNING, EventType.SLA_BREACHED):
        return _("%(what)s: %(metric)s") % {
            "what": _label(EventType, kind),
            "metric": str(after.get("metric", "")).replace("_", " "),
        }
    if kind == EventType.DELIVERY_FAILED:
        return _("Reply not delivered through %(channel)s") % {
            "channel": _label(Channel, after.get("channel"))
        }
    return _label(EventType, kind)


def _plain(value: Any, teams: dict[int, str]) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    for choices in (Priority,):
        if value in choices.values:
            return str(choices(value).label)
    return str(value)


def history(ticket: Ticket) -> list[HistoryEntry]:
    """The ticket's events, oldest first, in words."""
    events = list(TicketEvent.objects.filter(ticket_id=ticket.pk).select_related("actor_agent"))
    agents = _agent_names(events)
    teams = _team_names(events)
    entries = []
    for event in events:
        who = (
            event.actor_agent.display_name
            if event.actor_agent is not None
            else _label(AuthorKind, event.actor_kind)
        )
        entries.append(
            HistoryEntry(
                at=event.created_at,
                who=who,
                text=event_text(event, agents, teams),
                reason=event.reason,
            )
        )
    return entries


def assignable_agents(ticket: Ticket) -> list[tuple[int, str]]:
    """Agents who may take the ticket: active ones; for a restricted team, its members."""
    agents = Agent.objects.filter(user__is_active=True)
    if ticket.team is not None and ticket.team.is_restricted:
        agents = agents.filter(teams=ticket.team)
    return list(agents.order_by("display_name", "pk").values_list("pk", "display_name").distinct())


def ticket_page_context(requester: Requester, ticket: Ticket) -> dict[str, Any]:
    """Everything the ticket page renders except its forms."""
    messages = list(
        Message.objects.filter(ticket_id=ticket.pk)
        .select_related("author_agent")
        .prefetch_related("attachments")
    )
    channels, default_channel = reply_channels(ticket, messages)
    macros: list[Macro] = list(macros_for(requester))
    language = _language()
    return {
        "ticket": ticket,
        "reference": f"{Organization.cached().ticket_number_prefix}-{ticket.number}",
        "sla_state": ticket_sla_state(ticket, now=clock.now()),
        "messages": messages,
        "history": history(ticket),
        "tags": ticket_tag_names(ticket),
        "triage": _triage_view(ticket),
        "categories": [
            (category.code, category.display_name(language)) for category in leaf_categories()
        ],
        "agents": assignable_agents(ticket),
        "actions": ACTIONS_BY_STATUS.get(ticket.status, ()),
        "reply_channels": channels,
        "default_channel": default_channel,
        "macros": macros,
        "viewer": requester.agent,
    }
