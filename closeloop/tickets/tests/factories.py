"""Tickets are made through the services, so every test ticket has its real events."""

from __future__ import annotations

from typing import Any

from closeloop.customers.models import Customer
from closeloop.customers.tests.factories import CustomerFactory
from closeloop.tickets.models import Ticket
from closeloop.tickets.services import Actor, ticket_create


def make_ticket(*, customer: Customer | None = None, **fields: Any) -> Ticket:
    """Open a ticket through ``ticket_create`` with sensible defaults."""
    values: dict[str, Any] = {
        "subject": "Order 1001 has not arrived",
        "body": "I ordered a week ago and nothing came.",
        "channel": "email",
        "priority": "medium",
        "actor": Actor.customer(),
    }
    values.update(fields)
    return ticket_create(customer=customer or CustomerFactory(), **values)
