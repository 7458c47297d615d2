"""POST /api/v1/channels/email/inbound: a mail provider forwards raw mail, signed."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from closeloop.channels.models import InboundMessage, InboundStatus
from closeloop.channels.signing import sign
from closeloop.channels.tests.email_samples import text_mail
from closeloop.tickets.models import Ticket

pytestmark = pytest.mark.django_db
URL = "/api/v1/channels/email/inbound"
SECRET = "test-email-webhook-secret"


@pytest.fixture
def webhook_secret(settings):
    settings.CLOSELOOP = {**settings.CLOSELOOP, "EMAIL_WEBHOOK_SECRET": SECRET}
    return SECRET


def _post(raw: bytes, *, secret: str | None = SECRET, query: str = "", headers=None):  # noqa: ANN001, ANN202
    signed = sign(secret, raw) if secret else {}
    return Client().post(
        URL + query, raw, content_type="message/rfc822", headers={**signed, **(headers or {})}
    )


def test_signed_mail_is_accepted_once_and_becomes_a_ticket(
    webhook_secret, django_capture_on_commit_callbacks
):
    raw = text_mail("Where is my order?", message_id="<hook-1@example.com>")

    with django_capture_on_commit_callbacks(execute=True):
        first = _post(raw, query="?mailbox=support@shop.example")
    second = _post(raw)

    assert first.status_code == 202
    assert first.json() == {"status": "accepted", "id": first.json()["id"]}
    assert second.status_code == 202
    assert second.json() == {"status": "duplicate", "id": first.json()["id"]}
    row = InboundMessage.objects.get()
    assert row.external_id == "hook-1@example.com"
    assert bytes(row.raw) == raw
    assert row.meta == {"source": "webhook", "mailbox": "support@shop.example"}

    call_command("worker", "--once")

    row.refresh_from_db()
    assert row.status == InboundStatus.PROCESSED
    assert Ticket.objects.get().messages.get().body == "Where is my order?"


def test_mail_without_message_id_is_keyed_by_its_hash(webhook_secret):
    raw = text_mail(message_id=None)

    assert _post(raw).json()["status"] == "accepted"
    assert _post(raw).json()["status"] == "duplicate"
    assert InboundMessage.objects.get().external_id.startswith("sha256:")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Closeloop-Timestamp": "1700000000", "X-Closeloop-Signature": "sha256=00"},
    ],
)
def test_missing_or_bad_signature_is_refused(webhook_secret, headers):
    response = _post(text_mail(), secret=None, headers=headers)

    assert response.status_code == 403
    assert response.json()["code"] == "invalid_signature"
    assert not InboundMessage.objects.exists()


def test_signature_of_another_body_is_refused(webhook_secret):
    response = Client().post(
        URL,
        text_mail(),
        content_type="message/rfc822",
        headers=sign(SECRET, b"something else"),
    )

    assert response.status_code == 403
    assert not InboundMessage.objects.exists()


def test_without_a_secret_the_channel_is_disabled(settings):
    settings.CLOSELOOP = {**settings.CLOSELOOP, "EMAIL_WEBHOOK_SECRET": ""}

    response = _post(text_mail(), secret="anything")

    assert response.status_code == 403
    assert response.json()["code"] == "channel_disabled"
    assert not InboundMessage.objects.exists()


def test_oversize_mail_is_refused(webhook_secret, settings):
    settings.CLOSELOOP = {**settings.CLOSELOOP, "MAX_EMAIL_BYTES": 500}
    raw = text_mail("x" * 1000)

    response = _post(raw)

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert not InboundMessage.objects.exists()


def test_empty_body_is_a_bad_request(webhook_secret):
    response = _post(b"")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert not InboundMessage.objects.exists()
