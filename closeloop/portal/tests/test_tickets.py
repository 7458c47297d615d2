"""A signed-in customer's tickets: their own from every channel, public messages only, the
history in plain words, replies through the pipeline, confirming or rejecting a resolution;
anyone else's ticket is not found; agent replies are announced by mail or wait on the portal."""

from __future__ import annotations

import pytest
from django.test import Client

from closeloop.channels.delivery import delivery_send
from closeloop.channels.models import Delivery, DeliveryStatus, InboundMessage
from closeloop.channels.tests.email_support import running_smtp, support_mailbox
from closeloop.customers.services import customer_identify
from closeloop.knowledge.models import SelfServiceKind, SelfServiceSuccess
from closeloop.portal.tests.support import form_nonce, signed_in_client
from closeloop.tickets.models import Message, Status, Ticket
from closeloop.tickets.services import (
    Actor,
    message_add,
    ticket_resolve,
    ticket_start,
)
from closeloop.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def _resolved(ticket: Ticket, agent) -> Ticket:  # noqa: ANN001
    message_add(ticket=ticket, body="We sent a new charger.", actor=Actor.of_agent(agent))
    ticket.refresh_from_db()
    if ticket.status == Status.ASSIGNED:
        ticket_start(ticket=ticket, actor=Actor.of_agent(agent))
    return ticket_resolve(ticket=ticket, actor=Actor.of_agent(agent))


def test_my_tickets_lists_the_customers_tickets_from_every_channel():
    client, customer = signed_in_client()
    by_email = make_ticket(customer=customer, subject="Charger broken", channel="email")
    by_chat = make_ticket(customer=customer, subject="Chat about delivery", channel="chat")
    other = make_ticket(customer=customer_identify(email="zed@example.com"), subject="Not yours")
    html = client.get("/tickets/").content.decode()
    assert f"#{by_email.number}" in html
    assert f"#{by_chat.number}" in html
    assert "Charger broken" in html
    assert "Received" in html  # the status badge
    assert f"#{other.number}" not in html
    assert "Not yours" not in html


def test_other_customers_tickets_and_guessed_numbers_are_not_found():
    client, customer = signed_in_client()
    mine = make_ticket(customer=customer)
    others = [make_ticket(customer=customer_identify(email=f"o{i}@example.com")) for i in range(3)]
    for ticket in others:
        for path in [
            f"/tickets/{ticket.number}/",
            f"/tickets/{ticket.number}/files/1",
        ]:
            response = client.get(path)
            assert response.status_code == 404
            assert ticket.subject not in response.content.decode()
        for action in ["reply", "confirm", "reopen"]:
            response = client.post(f"/tickets/{ticket.number}/{action}", {"reason": "x"})
            assert response.status_code == 404
    # Sequential guesses around the customer's own number reveal nothing either.
    for number in range(mine.number - 5, mine.number + 10):
        if number != mine.number:
            assert client.get(f"/tickets/{number}/").status_code == 404
    assert client.get(f"/tickets/{mine.number}/").status_code == 200
    assert Message.objects.filter(ticket__in=others).count() == 3  # nothing was written
    assert all(Ticket.objects.get(pk=t.pk).status == Status.NEW for t in others)


def test_ticket_pages_need_a_signed_in_customer():
    ticket = make_ticket()
    response = Client().get(f"/tickets/{ticket.number}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/signin?next=")


def test_the_ticket_page_shows_public_messages_never_internal_notes(agent):
    client, customer = signed_in_client()
    ticket = make_ticket(customer=customer, body="My charger sparks.")
    message_add(ticket=ticket, body="Shipping a replacement today.", actor=Actor.of_agent(agent))
    message_add(
        ticket=ticket,
        body="INTERNAL: customer is on the watch list",
        actor=Actor.of_agent(agent),
        is_public=False,
    )
    html = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "My charger sparks." in html
    assert "Shipping a replacement today." in html
    assert "watch list" not in html
    assert "We received your request." in html
    assert "Someone from our team took your request." in html


def test_following_a_ticket_up_counts_once_per_session():
    client, customer = signed_in_client()
    ticket = make_ticket(customer=customer)
    client.get(f"/tickets/{ticket.number}/")
    client.get(f"/tickets/{ticket.number}/")
    success = SelfServiceSuccess.objects.get()
    assert (success.kind, success.reference) == (SelfServiceKind.TICKET_STATUS, str(ticket.number))


def test_a_reply_goes_through_the_pipeline_onto_the_ticket(agent):
    client, customer = signed_in_client()
    ticket = make_ticket(customer=customer)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    data = {"nonce": form_nonce(page), "body": "Here is the serial number: 123."}
    first = client.post(f"/tickets/{ticket.number}/reply", data)
    second = client.post(f"/tickets/{ticket.number}/reply", data)
    assert first.status_code == second.status_code == 302
    replies = Message.objects.filter(ticket=ticket, channel="portal")
    assert [m.body for m in replies] == ["Here is the serial number: 123."]
    assert InboundMessage.objects.get().ticket_id == ticket.pk
    assert Ticket.objects.count() == 1


def test_an_empty_reply_is_refused_next_to_the_field():
    client, customer = signed_in_client()
    ticket = make_ticket(customer=customer)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    response = client.post(
        f"/tickets/{ticket.number}/reply", {"nonce": form_nonce(page), "body": "  "}
    )
    assert response.status_code == 400
    assert 'id="id_body-error" role="alert"' in response.content.decode()
    assert InboundMessage.objects.count() == 0


def test_the_customer_confirms_a_resolution_and_the_ticket_closes(agent):
    client, customer = signed_in_client()
    ticket = _resolved(make_ticket(customer=customer), agent)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Is your problem solved?" in page
    assert client.post(f"/tickets/{ticket.number}/confirm").status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert ticket.confirmed_at is not None
    html = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "You confirmed it is solved" in html
    # Confirming again is refused without a 500, and changes nothing.
    again = client.post(f"/tickets/{ticket.number}/confirm")
    assert again.status_code == 409


def test_the_customer_says_it_is_not_solved_and_the_ticket_reopens(agent):
    client, customer = signed_in_client()
    ticket = _resolved(make_ticket(customer=customer), agent)
    refused = client.post(f"/tickets/{ticket.number}/reopen", {"reason": ""})
    assert refused.status_code == 400
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED
    client.post(f"/tickets/{ticket.number}/reopen", {"reason": "Still sparks."})
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.reopen_count == 1
    event = ticket.events.filter(type="status_changed").order_by("-id").first()
    assert event.reason == "customer on the portal: Still sparks."
    assert "The request was reopened." in client.get(f"/tickets/{ticket.number}/").content.decode()


def _portal_ticket(email: str | None) -> Ticket:
    client = Client()
    page = client.get("/requests/new").content.decode()
    client.post(
        "/requests/new",
        {
            "nonce": form_nonce(page),
            "email": email or "",
            "kind": "question",
            "subject": "Is it waterproof?",
            "description": "Can I take it swimming?",
        },
    )
    return Ticket.objects.get(channel="portal")


def test_an_agent_reply_on_a_portal_ticket_is_announced_by_mail(agent):
    with running_smtp() as (controller, handler):
        support_mailbox(controller.port)
        ticket = _portal_ticket("lee@example.com")
        message_add(ticket=ticket, body="Yes, up to 2 metres.", actor=Actor.of_agent(agent))
        delivery = Delivery.objects.get(ticket=ticket)
        assert (delivery.channel, delivery.recipient) == ("portal", "lee@example.com")
        sent = delivery_send(delivery.pk)
    assert sent is not None
    assert sent.status == DeliveryStatus.SENT
    mail = handler.messages[0]
    assert mail["To"] == "lee@example.com"
    assert f"#{ticket.number}" in mail["Subject"]
    assert f"/tickets/{ticket.number}/" in mail.get_content()
    assert "up to 2 metres" not in mail.get_content()  # read on the portal, after sign-in


def test_without_a_mail_server_the_reply_waits_on_the_portal(agent):
    ticket = _portal_ticket("lee@example.com")
    message_add(ticket=ticket, body="Yes.", actor=Actor.of_agent(agent))
    sent = delivery_send(Delivery.objects.get(ticket=ticket).pk)
    assert sent is not None
    assert sent.status == DeliveryStatus.SENT
    assert sent.meta["delivered_to"] == "portal"


def test_a_customer_without_email_gets_the_reply_on_the_portal(agent):
    customer = customer_identify(phone="+8613800138123")
    ticket = make_ticket(customer=customer, channel="portal")
    message_add(ticket=ticket, body="Yes.", actor=Actor.of_agent(agent), channel="portal")
    delivery = Delivery.objects.get(ticket=ticket)
    assert delivery.recipient == f"portal:{customer.pk}"
    sent = delivery_send(delivery.pk)
    assert sent is not None
    assert sent.status == DeliveryStatus.SENT
    assert sent.external_id == f"portal-{delivery.message_id}"


def test_files_on_public_messages_download_and_files_on_internal_notes_do_not(agent):
    from closeloop.tickets.intake import IncomingFile, attachments_store

    client, customer = signed_in_client()
    ticket = make_ticket(customer=customer)
    public = Message.objects.get(ticket=ticket)
    note = message_add(ticket=ticket, body="internal", actor=Actor.of_agent(agent), is_public=False)
    [shared] = attachments_store(public, [IncomingFile("photo.png", "image/png", b"PNGDATA")])
    [hidden] = attachments_store(note, [IncomingFile("audit.pdf", "application/pdf", b"PDF")])
    response = client.get(f"/tickets/{ticket.number}/files/{shared.pk}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"PNGDATA"
    assert response["Content-Disposition"].startswith("attachment")
    assert client.get(f"/tickets/{ticket.number}/files/{hidden.pk}").status_code == 404
    other_client, _other = signed_in_client("nosy@example.com")
    assert other_client.get(f"/tickets/{ticket.number}/files/{shared.pk}").status_code == 404
