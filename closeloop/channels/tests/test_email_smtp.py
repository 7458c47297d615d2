"""Replies go out by SMTP to a real server on loopback, thread in the customer's mail
program, and the customer's answer threads back onto the ticket."""

from __future__ import annotations

import pytest

from closeloop.channels.delivery import delivery_send
from closeloop.channels.models import Delivery, DeliveryStatus
from closeloop.channels.tests.email_samples import text_mail
from closeloop.channels.tests.email_support import receive, running_smtp, support_mailbox
from closeloop.core import clock
from closeloop.tickets.models import EventType, Message, Ticket, TicketEvent
from closeloop.tickets.services import Actor, message_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp_server():  # noqa: ANN201
    with running_smtp() as server:
        yield server


def _reply(ticket: Ticket, agent, body: str = "Your parcel left our warehouse today.") -> Delivery:  # noqa: ANN001
    message = message_add(ticket=ticket, body=body, actor=Actor.of_agent(agent))
    return Delivery.objects.get(message=message, channel="email")


def test_reply_threads_and_the_customers_answer_returns_to_the_ticket(smtp_server, agent):
    controller, handler = smtp_server
    support_mailbox(controller.port)
    first = receive(
        text_mail(
            "Where is my order?",
            subject="Order 123 missing",
            message_id="<first@example.com>",
            extra={"Reply-To": "Alice Home <alice@home.example>"},
        )
    )
    ticket = first.ticket

    delivery = _reply(ticket, agent)
    sent = delivery_send(delivery.pk)

    assert sent is not None
    assert sent.status == DeliveryStatus.SENT
    assert len(handler.messages) == 1
    mail = handler.messages[0]
    assert handler.envelopes[0].rcpt_tos == ["alice@home.example"]
    assert handler.envelopes[0].mail_from == "support@shop.example"
    assert mail["Message-ID"] == f"<{sent.external_id}>"
    assert sent.external_id.endswith("@shop.example")
    assert mail["In-Reply-To"] == "<first@example.com>"
    assert mail["References"] == "<first@example.com>"
    assert mail["Subject"] == f"Re: Order 123 missing [#{ticket.number}]"
    assert mail["From"] == "Shop Support <support@shop.example>"
    assert mail.get_content().strip() == "Your parcel left our warehouse today."

    # The customer answers our mail, with a different subject: threaded by In-Reply-To.
    answer = receive(
        text_mail(
            "Thanks! But it says returned.",
            subject="parcel",
            message_id="<second@example.com>",
            in_reply_to=f"<{sent.external_id}>",
            references=f"<first@example.com> <{sent.external_id}>",
        )
    )
    assert answer.ticket_id == ticket.pk
    assert Message.objects.filter(ticket=ticket, author_kind="customer").count() == 2

    # The next reply answers the latest customer mail and carries the whole thread.
    second = delivery_send(_reply(ticket, agent, "It is on its way back to you.").pk)
    assert second is not None
    assert second.status == DeliveryStatus.SENT
    mail = handler.messages[1]
    assert mail["In-Reply-To"] == "<second@example.com>"
    assert mail["References"].split() == [
        "<first@example.com>",
        f"<{sent.external_id}>",
        "<second@example.com>",
    ]


def test_reply_goes_from_the_mailbox_the_customer_wrote_to(smtp_server, agent):
    controller, handler = smtp_server
    support_mailbox(controller.port)
    support_mailbox(controller.port, address="vip@shop.example", name="VIP Desk", is_default=False)
    inbound = receive(text_mail(to="VIP@shop.example", message_id="<v@example.com>"))

    delivery_send(_reply(inbound.ticket, agent).pk)

    assert handler.messages[0]["From"] == "VIP Desk <vip@shop.example>"
    assert handler.envelopes[0].mail_from == "vip@shop.example"


def test_a_451_answer_is_retried_later(smtp_server, agent):
    controller, handler = smtp_server
    support_mailbox(controller.port)
    inbound = receive(text_mail())
    handler.refuse_with = "451 4.3.0 Mailbox busy, try later"

    before = clock.now()
    delivery = delivery_send(_reply(inbound.ticket, agent).pk)

    assert delivery is not None
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at > before
    assert "451" in delivery.last_error
    assert not TicketEvent.objects.filter(
        ticket=inbound.ticket, type=EventType.DELIVERY_FAILED
    ).exists()


def test_a_550_answer_fails_the_delivery_on_the_ticket(smtp_server, agent):
    controller, handler = smtp_server
    support_mailbox(controller.port)
    inbound = receive(text_mail())
    handler.refuse_with = "550 5.1.1 No such user"

    delivery = delivery_send(_reply(inbound.ticket, agent).pk)

    assert delivery is not None
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "550" in delivery.last_error
    event = TicketEvent.objects.get(ticket=inbound.ticket, type=EventType.DELIVERY_FAILED)
    assert "550" in event.reason
    assert handler.messages == []


def test_an_unreachable_server_is_retried(agent):
    support_mailbox(1)  # nothing listens on port 1
    inbound = receive(text_mail())

    delivery = delivery_send(_reply(inbound.ticket, agent).pk)

    assert delivery is not None
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert "unreachable" in delivery.last_error
