"""The phone channel: call records a PBX or call-centre system reports, turned into tickets.

- An inbound call becomes a ticket, or a message on the caller's open ticket (the intake
  threads conversational channels), carrying the call record in ``Message.meta["call"]``.
- A call a known agent answered (inbound) or made and got through (outbound) also adds that
  agent's public message, so the ticket records that the customer was answered and the
  first-response clock stops.
- A missed inbound call opens a call-back request: kind request, high priority, which the
  "Phone call-back" SLA policy times.
- An outbound call nobody picked up is kept raw and ignored: there is nothing for a ticket.

Replies cannot go out by phone (``sends = False``): an agent's reply on a phone ticket is
recorded only, and the agent picks another channel to send it.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.translation import gettext as _
from pydantic import ValidationError

from closeloop.channels.adapters import Adapter, MalformedInput, Parsed, Sender, register
from closeloop.channels.models import InboundMessage
from closeloop.channels.phone.calls import (
    Call,
    CallIn,
    call_check,
    call_meta,
    call_summary,
    duration_text,
)
from closeloop.core.errors import CloseloopError
from closeloop.people.models import Agent
from closeloop.tickets.intake import Contact, Received
from closeloop.tickets.models import Kind, Priority
from closeloop.tickets.services import Actor, MessageContent, message_add

logger = logging.getLogger(__name__)

CHANNEL = "phone"


def call_read(raw: bytes) -> Call:
    """A stored call record, checked; MalformedInput when it cannot be read."""
    try:
        return call_check(CallIn.model_validate_json(raw))
    except ValidationError as error:
        raise MalformedInput(f"not a call record: {error.errors()[:3]}") from None
    except CloseloopError as error:
        raise MalformedInput(f"{error.code}: {error}") from None


def agent_find(reference: str) -> Agent | None:
    """The active agent a PBX names by username or by agent id; None when unknown."""
    if not reference:
        return None
    agents = Agent.objects.select_related("user").filter(user__is_active=True)
    found = agents.filter(user__username=reference).first()
    if found is None and reference.isdigit():
        found = agents.filter(pk=int(reference)).first()
    return found


class PhoneAdapter(Adapter):
    channel = CHANNEL
    sends = False

    def parse(self, inbound: InboundMessage) -> Parsed:
        call = call_read(bytes(inbound.raw))
        if call.direction == "outbound" and not call.is_answered:
            return Parsed(ignore_reason="outbound call not answered")
        agent = agent_find(call.agent)
        agent_name = agent.display_name if agent is not None else ""
        contact = Contact(
            channel=CHANNEL,
            external_id=inbound.external_id,
            body=call.transcript or call_summary(call, agent_name=agent_name),
            content=MessageContent(
                meta=call_meta(
                    call,
                    integration_key=str(inbound.meta.get("integration", "")),
                    agent_id=agent.pk if agent is not None else None,
                )
            ),
        )
        if call.direction == "inbound" and not call.is_answered:
            contact.subject = _("Call back %(number)s") % {"number": call.customer_number}
            contact.kind = Kind.REQUEST
            contact.priority = Priority.HIGH
        elif call.transcript:
            contact.subject = call_summary(call, agent_name=agent_name)
        return Parsed(sender=Sender(phone=call.customer_number), contact=contact)

    def on_received(self, inbound: InboundMessage, received: Received) -> None:
        """Record the agent's side of an answered call, in the call record's transaction."""
        record = (received.message.meta or {}).get("call") or {}
        agent_id = record.get("agent_id")
        if not record.get("answered") or agent_id is None:
            return
        agent = Agent.objects.filter(pk=agent_id).first()
        if agent is None:
            return
        values = {"duration": duration_text(record.get("talk_seconds"))}
        body = (
            _("Called the customer (%(duration)s).") % values
            if record.get("direction") == "outbound"
            else _("Answered the call (%(duration)s).") % values
        )
        try:
            with transaction.atomic():
                message_add(
                    ticket=received.ticket,
                    body=body,
                    actor=Actor.of_agent(agent),
                    channel=CHANNEL,
                    external_id=f"{inbound.external_id}:answered",
                    content=MessageContent(
                        meta={"call": {"call_id": record.get("call_id"), "answered_by": agent.pk}}
                    ),
                )
        except CloseloopError:
            # A ticket closed meanwhile: the call record itself is on the ticket already.
            logger.warning("Could not record the answer to call %s", inbound.external_id)


register(PhoneAdapter())
