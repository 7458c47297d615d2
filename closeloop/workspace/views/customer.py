"""The customer beside the ticket: profile, identities, tickets on every channel, orders.

Loaded by htmx after the page, so a slow order system never slows the ticket page down.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from closeloop.core.errors import CloseloopError
from closeloop.core.models import Organization
from closeloop.customers.models import Customer, Identity, IdentityKind
from closeloop.feedback.selectors import customer_survey_scores
from closeloop.portal.orders import Order, OrderNotFound, OrderSourceUnavailable, order_find
from closeloop.tickets.models import OPEN_STATUSES, Message, Ticket
from closeloop.tickets.selectors import tickets_visible_to
from closeloop.workspace.access import Requester, workspace_view
from closeloop.workspace.services import order_number_in
from closeloop.workspace.views.ticket import visible_ticket

logger = logging.getLogger(__name__)

MAX_TICKETS = 20
MAX_ORDERS = 3
ORDER_MESSAGES = 200


@dataclass(frozen=True)
class OrderLine:
    """An order the customer's messages name: found, or why it is not shown."""

    number: str
    order: Order | None = None
    note: str = ""


def order_numbers_of(customer: Customer) -> list[str]:
    """Order numbers the customer's messages carry (newest first, each once)."""
    metas = (
        Message.objects.filter(ticket__customer_id=customer.pk)
        .exclude(meta={})
        .order_by("-created_at", "-id")
        .values_list("meta", flat=True)[:ORDER_MESSAGES]
    )
    numbers: list[str] = []
    for meta in metas:
        number = order_number_in([meta])
        if number and number not in numbers:
            numbers.append(number)
    return numbers[:MAX_ORDERS]


def customer_orders(customer: Customer, identities: list[Identity]) -> list[OrderLine]:
    """The customer's orders through the shop's order sources; a source that is down or an
    order it does not know gives a short note instead."""
    emails = [i.value for i in identities if i.kind == IdentityKind.EMAIL]
    phones = [i.value for i in identities if i.kind == IdentityKind.PHONE]
    lines = []
    for number in order_numbers_of(customer):
        try:
            lines.append(OrderLine(number, order=order_find(number, emails=emails, phones=phones)))
        except OrderNotFound:
            lines.append(OrderLine(number, note=_("Not found in the order system.")))
        except OrderSourceUnavailable:
            lines.append(OrderLine(number, note=_("The order system is not answering.")))
        except CloseloopError as error:
            lines.append(OrderLine(number, note=str(error.message)))
        except Exception:  # an order system's oddity must never break the ticket page
            logger.exception("Order lookup for %s failed", number)
            lines.append(OrderLine(number, note=_("The order system is not answering.")))
    return lines


@require_GET
@workspace_view
def ticket_customer(request: HttpRequest, requester: Requester, number: int) -> HttpResponse:
    """The customer panel of a ticket page."""
    ticket = visible_ticket(requester, number)
    customer = Customer.objects.select_related("dedicated_agent").get(pk=ticket.customer_id)
    identities = list(customer.identities.order_by("kind", "value"))
    tickets = tickets_visible_to(requester).filter(customer_id=customer.pk).exclude(pk=ticket.pk)
    open_tickets = list(
        tickets.filter(status__in=OPEN_STATUSES).order_by("-created_at")[:MAX_TICKETS]
    )
    past_tickets = list(
        tickets.exclude(status__in=OPEN_STATUSES).order_by("-created_at")[:MAX_TICKETS]
    )
    return render(
        request,
        "workspace/_customer_panel.html",
        {
            "ticket": ticket,
            "customer": customer,
            "identities": identities,
            "open_tickets": open_tickets,
            "past_tickets": past_tickets,
            "orders": customer_orders(customer, identities),
            "surveys": customer_survey_scores(customer.pk),
            "prefix": Organization.cached().ticket_number_prefix,
        },
    )


__all__ = ["OrderLine", "Ticket", "customer_orders", "order_numbers_of", "ticket_customer"]
