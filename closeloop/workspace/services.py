"""Workspace logic that is not a page: filling a macro's variables for a ticket.

Reads only; the ticket changes an agent makes go through the tickets, triage and knowledge
services.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from closeloop.core.models import Organization
from closeloop.people.access import Requester
from closeloop.people.models import Agent
from closeloop.tickets.models import Message, Ticket
from closeloop.workspace.models import Macro

MACRO_VARIABLES = ("customer_name", "ticket_number", "order_number", "agent_name")
_VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_HAN = re.compile(r"[\u4e00-\u9fff]")
# How many of the ticket's latest messages are searched for an order number.
ORDER_NUMBER_MESSAGES = 50


@dataclass(frozen=True)
class FilledText:
    """A macro's text with its variables filled; what could not be filled stays visible."""

    text: str
    language: str
    unknown: tuple[str, ...] = ()  # names that are not variables at all (a typo in the macro)
    missing: tuple[str, ...] = ()  # variables this ticket has no value for (no order number)

    @property
    def is_complete(self) -> bool:
        """Every placeholder was filled."""
        return not self.unknown and not self.missing


def variables_fill(text: str, values: Mapping[str, str], *, language: str = "en") -> FilledText:
    """Replace ``{name}`` with its value; an unknown name or a variable without a value is
    left as typed and reported, so the agent sees it before sending."""
    unknown: list[str] = []
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in MACRO_VARIABLES:
            unknown.append(name)
            return match.group(0)
        value = values.get(name, "")
        if not value:
            missing.append(name)
            return match.group(0)
        return value

    filled = _VARIABLE.sub(replace, text)
    return FilledText(
        text=filled,
        language=language,
        unknown=tuple(dict.fromkeys(unknown)),
        missing=tuple(dict.fromkeys(missing)),
    )


def unknown_variables(text: str) -> list[str]:
    """The ``{names}`` in ``text`` that are not macro variables (for the admin form)."""
    return list(
        dict.fromkeys(name for name in _VARIABLE.findall(text) if name not in MACRO_VARIABLES)
    )


def reply_language(customer_language: str, sample: str) -> str:
    """ "zh" or "en": the customer's language when known, else the ticket's own words."""
    language = (customer_language or "").lower()
    if language.startswith("zh"):
        return "zh"
    if language:
        return "en"
    return "zh" if _HAN.search(sample or "") else "en"


def order_number_in(metas: Iterable[Mapping[str, Any]]) -> str:
    """The first order number found in messages' channel data (newest first): the portal's
    after-sales request (``portal.after_sales.order_number``) or a channel's ``order_number``."""
    for meta in metas:
        if not isinstance(meta, Mapping):
            continue
        candidates: list[Any] = [meta.get("order_number")]
        for value in meta.values():
            if isinstance(value, Mapping):
                candidates.append(value.get("order_number"))
                after_sales = value.get("after_sales")
                if isinstance(after_sales, Mapping):
                    candidates.append(after_sales.get("order_number"))
        for candidate in candidates:
            if isinstance(candidate, str | int) and str(candidate).strip():
                return str(candidate).strip()
    return ""


def ticket_order_number(ticket: Ticket) -> str:
    """The order number the ticket's messages carry, if any (newest message first)."""
    metas = (
        Message.objects.filter(ticket_id=ticket.pk)
        .exclude(meta={})
        .order_by("-created_at", "-id")
        .values_list("meta", flat=True)[:ORDER_NUMBER_MESSAGES]
    )
    return order_number_in(metas)


def macro_render(
    *, macro: Macro, ticket: Ticket, agent: Agent | None, order_number: str | None = None
) -> FilledText:
    """The macro's text for this ticket, in the customer's language (the other language when
    the macro has no text in it), variables filled."""
    customer = ticket.customer
    language = reply_language(customer.language, ticket.subject)
    body = macro.body_zh if language == "zh" else macro.body_en
    if not body.strip():
        language = "en" if language == "zh" else "zh"
        body = macro.body_zh if language == "zh" else macro.body_en
    prefix = Organization.cached().ticket_number_prefix
    values = {
        "customer_name": customer.name,
        "ticket_number": f"{prefix}-{ticket.number}",
        "order_number": ticket_order_number(ticket) if order_number is None else order_number,
        "agent_name": agent.display_name if agent is not None else "",
    }
    return variables_fill(body, values, language=language)


def macros_for(requester: Requester) -> QuerySet[Macro]:
    """Active macros the requester may use: everyone's and their teams' (admins: all)."""
    macros = Macro.objects.filter(is_active=True)
    if requester.is_admin:
        return macros
    return macros.filter(Q(team__isnull=True) | Q(team_id__in=requester.team_ids))
