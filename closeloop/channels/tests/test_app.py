"""The mobile app channel end to end: a signed app message in → ticket; the conversation the
app renders; agent replies POSTed, signed, to a fake app backend over real HTTP."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client

from closeloop.channels import pipeline
from closeloop.channels.app.payload import identity_value
from closeloop.channels.delivery import BACKOFF, delivery_send
from closeloop.channels.models import (
    Delivery,
    DeliveryStatus,
    InboundMessage,
    InboundStatus,
    Integration,
)
from closeloop.channels.signing import hmac_hex, verify
from closeloop.core import clock
from closeloop.customers.models import Customer, CustomerMerge, Identity
from closeloop.customers.services import customer_identify
from closeloop.tickets.models import Attachment, EventType, Message, Ticket, TicketEvent
from closeloop.tickets.services import Actor, message_add
from closeloop.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

MESSAGES = "/api/v1/channels/app/messages"
CONVERSATION = "/api/v1/channels/app/conversation"
DEVICE = {
    "platform": "android",
    "os_version": "14",
    "app_version": "3.2.1",
    "model": "Pixel 8",
    "locale": "zh-CN",
}


@pytest.fixture
def app(db: Any) -> Integration:
    return Integration.objects.create(kind="app", name="Shop app")


def signature(integration: Integration, user: str, email: str = "", phone: str = "") -> str:
    return hmac_hex(integration.secret, identity_value(user, email, phone).encode())


def send(integration: Integration, *, key: str | None = None, **fields: Any) -> Any:
    """POST one app message as the app backend does, signing the identity unless told."""
    body: dict[str, Any] = {"app_user_id": "u-1001", "message_id": "m-1", "text": "我的订单没到"}
    body.update(fields)
    if "identity_signature" not in body:
        body["identity_signature"] = signature(
            integration, body["app_user_id"], body.get("email") or "", body.get("phone") or ""
        )
    elif body["identity_signature"] is None:
        del body["identity_signature"]  # left out altogether
    return Client().post(
        MESSAGES,
        json.dumps(body, ensure_ascii=False).encode(),
        content_type="application/json",
        headers={"X-Closeloop-Key": integration.key if key is None else key},
    )


def receive(integration: Integration, **fields: Any) -> Message:
    """Send and process one message; return the ticket message it became."""
    response = send(integration, **fields)
    assert response.status_code == 202, response.content
    inbound = pipeline.inbound_process(response.json()["id"])
    assert inbound.status == InboundStatus.PROCESSED, inbound.error
    assert inbound.message is not None
    return inbound.message


def test_signed_message_opens_a_ticket_on_the_app_channel_with_device_facts(app):
    response = send(app, device=DEVICE, name="李雷")

    assert response.status_code == 202
    assert response.json() == {"status": "accepted", "id": InboundMessage.objects.get().pk}
    inbound = pipeline.inbound_process(response.json()["id"])
    ticket = Ticket.objects.get()
    message = ticket.messages.get()
    assert (ticket.channel, message.channel, message.body) == ("app", "app", "我的订单没到")
    assert message.external_id == f"{app.key}:m-1"
    assert message.meta == {
        "app": {
            "integration": app.key,
            "app_user_id": "u-1001",
            "message_id": "m-1",
            "device": DEVICE,
        }
    }
    assert inbound.ticket_id == ticket.pk
    assert ticket.customer.name == "李雷"
    assert list(ticket.customer.identities.values_list("kind", "value")) == [("app", "u-1001")]


def test_the_same_message_id_twice_is_one_message(app):
    first = send(app)
    second = send(app)

    assert second.status_code == 202
    assert second.json() == {"status": "duplicate", "id": first.json()["id"]}
    pipeline.inbound_process(first.json()["id"])
    pipeline.inbound_process(second.json()["id"])
    assert InboundMessage.objects.count() == 1
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"identity_signature": "0" * 64},
        {"identity_signature": ""},
        {"identity_signature": None},
        {"key": "ck_unknown"},
        {"key": ""},
    ],
)
def test_a_bad_signature_or_key_is_refused_and_nothing_is_stored(app, change):
    response = send(app, **change)

    assert response.status_code == 403, response.content
    assert response.json()["code"] == "invalid_signature"
    assert InboundMessage.objects.count() == 0


def test_a_disabled_or_phone_integration_cannot_relay_app_messages(app):
    phone = Integration.objects.create(kind="phone", name="PBX")
    assert send(phone).status_code == 403
    Integration.objects.filter(pk=app.pk).update(enabled=False)
    assert send(app).status_code == 403
    assert InboundMessage.objects.count() == 0


def test_a_user_cannot_write_as_another_user_or_claim_an_email(app):
    mine = signature(app, "u-1001")

    as_other = send(app, app_user_id="u-2002", identity_signature=mine)
    with_email = send(app, email="boss@example.com", identity_signature=mine)

    assert (as_other.status_code, with_email.status_code) == (403, 403)
    assert as_other.json()["code"] == "invalid_signature"
    assert InboundMessage.objects.count() == 0


def test_a_verified_email_merges_the_email_customer_into_the_app_user(app):
    by_email = customer_identify(email="li.lei@example.com")
    email_ticket = make_ticket(customer=by_email)
    first = receive(app, message_id="m-1")  # the app user, not yet known by email
    app_customer = first.ticket.customer
    assert app_customer.pk != by_email.pk

    receive(app, message_id="m-2", email="Li.Lei@example.com", text="邮箱是这个")

    merge = CustomerMerge.objects.get()
    assert (merge.source_id, merge.target_id) == (by_email.pk, app_customer.pk)
    assert Customer.objects.filter(merged_into__isnull=True).count() == 1
    email_ticket.refresh_from_db()
    assert email_ticket.customer_id == app_customer.pk
    assert set(Identity.objects.values_list("customer_id", "kind", "value")) == {
        (app_customer.pk, "app", "u-1001"),
        (app_customer.pk, "email", "li.lei@example.com"),
    }


def test_attachments_are_stored_and_an_oversized_one_is_kept_as_refused(app, settings):
    settings.CLOSELOOP = {**settings.CLOSELOOP, "MAX_ATTACHMENT_BYTES": 16}
    small = b"\x89PNG tiny"
    large = b"x" * 17

    message = receive(
        app,
        text="",
        attachments=[
            {"filename": "receipt.png", "content_type": "image/png", "data": b64(small)},
            {"filename": "video.mp4", "content_type": "video/mp4", "data": b64(large)},
        ],
    )

    assert message.body == "(sent receipt.png, video.mp4)"
    stored, refused = Attachment.objects.order_by("pk")
    assert (stored.filename, stored.content_type, stored.size) == ("receipt.png", "image/png", 9)
    with stored.file.open("rb") as handle:
        assert handle.read() == small
    assert (refused.filename, refused.size, refused.refused_reason) == (
        "video.mp4",
        17,
        "too_large",
    )
    assert not refused.file


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_invalid_base64_is_refused_with_400_and_nothing_stored(app):
    response = send(app, attachments=[{"filename": "a.png", "data": "not base64!!"}])

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert response.json()["details"] == {"field": "attachments[0].data"}
    assert InboundMessage.objects.count() == 0


def test_a_message_without_text_or_files_is_refused(app):
    response = send(app, text="  ")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_input")
    missing = send(app, message_id=None)
    assert (missing.status_code, missing.json()["code"]) == (422, "validation_error")
    assert InboundMessage.objects.count() == 0


def conversation(integration: Integration, user: str = "u-1001", **params: Any) -> Any:
    query = {"app_user_id": user, "identity_signature": signature(integration, user), **params}
    return Client().get(CONVERSATION, query, headers={"X-Closeloop-Key": integration.key})


def test_the_conversation_shows_the_agent_reply_but_not_internal_notes(app, agent):
    first = receive(app)
    message_add(ticket=first.ticket, body="内部备注", actor=Actor.of_agent(agent), is_public=False)
    message_add(ticket=first.ticket, body="您好，我们马上查", actor=Actor.of_agent(agent))

    response = conversation(app)

    assert response.status_code == 200
    assert "您好，我们马上查".encode() in response.content  # characters, not \u escapes
    body = response.json()
    assert body["app_user_id"] == "u-1001"
    assert body["has_more"] is False
    [ticket] = body["tickets"]
    assert ticket["number"] == first.ticket.number
    assert [(m["author"]["kind"], m["body"]) for m in ticket["messages"]] == [
        ("customer", "我的订单没到"),
        ("agent", "您好，我们马上查"),
    ]
    assert ticket["messages"][1]["author"]["name"] == agent.display_name


def test_the_conversation_needs_the_users_signature(app):
    receive(app)
    other = conversation(app, user="u-2002")
    forged = Client().get(
        CONVERSATION,
        {"app_user_id": "u-1001", "identity_signature": signature(app, "u-2002")},
        headers={"X-Closeloop-Key": app.key},
    )

    assert other.json() == {"app_user_id": "u-2002", "tickets": [], "has_more": False}
    unsigned = Client().get(
        CONVERSATION, {"app_user_id": "u-1001"}, headers={"X-Closeloop-Key": app.key}
    )

    assert forged.status_code == 403
    assert forged.json()["code"] == "invalid_signature"
    assert (unsigned.status_code, unsigned.json()["code"]) == (403, "invalid_signature")


@dataclass
class FakeAppBackend:
    """An app backend's webhook receiver on loopback: records requests, answers as told."""

    url: str
    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def backend() -> Iterator[FakeAppBackend]:
    fake = FakeAppBackend(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            fake.received.append((dict(self.headers.items()), body))
            status = fake.statuses.pop(0) if fake.statuses else 200
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"ok": true}')

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/closeloop/webhook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


def reply_via_api(api: Any, ticket: Ticket, body: str) -> Delivery:
    response = api.post(f"/api/v1/tickets/{ticket.pk}/messages", {"body": body})
    assert response.status_code == 201, response.content
    return Delivery.objects.get(message_id=response.json()["id"])


def test_an_agent_reply_is_posted_signed_to_the_app_backend(app, api, agent, backend):
    Integration.objects.filter(pk=app.pk).update(webhook_url=backend.url)
    ticket = receive(app).ticket

    delivery = reply_via_api(api, ticket, "已为您补发")
    assert (delivery.channel, delivery.recipient) == ("app", "u-1001")
    sent = delivery_send(delivery.pk)

    assert sent is not None
    assert sent.status == DeliveryStatus.SENT
    [(headers, raw)] = backend.received
    verify(app.secret, raw, headers)  # raises unless signed with the integration's secret
    assert headers["X-Closeloop-Key"] == app.key
    payload = json.loads(raw)
    assert payload["event"] == "message.created"
    assert payload["app_user_id"] == "u-1001"
    assert payload["ticket"]["number"] == ticket.number
    message = Message.objects.get(pk=delivery.message_id)
    assert payload["message"] == {
        "id": message.pk,
        "body": "已为您补发",
        "created_at": message.created_at.isoformat(),
        "author": {"kind": "agent", "name": agent.display_name},
    }


def test_a_backend_error_is_retried_and_a_410_fails_the_delivery_on_the_ticket(app, api, backend):
    Integration.objects.filter(pk=app.pk).update(webhook_url=backend.url)
    backend.statuses = [500, 410]
    ticket = receive(app).ticket
    delivery = reply_via_api(api, ticket, "已为您补发")

    first = delivery_send(delivery.pk)
    assert first is not None
    assert (first.status, first.attempts) == (DeliveryStatus.PENDING, 1)
    assert first.next_attempt_at is not None
    assert first.next_attempt_at - clock.now() <= BACKOFF[0]
    assert first.next_attempt_at > clock.now()
    assert not TicketEvent.objects.filter(ticket=ticket, type=EventType.DELIVERY_FAILED).exists()

    second = delivery_send(delivery.pk)

    assert second is not None
    assert (second.status, second.attempts) == (DeliveryStatus.FAILED, 2)
    assert "410" in second.last_error
    assert len(backend.received) == 2
    failed = TicketEvent.objects.get(ticket=ticket, type=EventType.DELIVERY_FAILED)
    assert failed.after["channel"] == "app"
    detail = api.get(f"/api/v1/tickets/{ticket.pk}").json()
    assert "delivery_failed" in [event["type"] for event in detail["events"]]


def test_no_webhook_url_fails_the_delivery_on_the_ticket(app, api):
    ticket = receive(app).ticket
    delivery = reply_via_api(api, ticket, "收到")

    sent = delivery_send(delivery.pk)

    assert sent is not None
    assert sent.status == DeliveryStatus.FAILED
    assert "no webhook URL" in sent.last_error
    assert TicketEvent.objects.filter(ticket=ticket, type=EventType.DELIVERY_FAILED).count() == 1
