"""The phone channel end to end: a PBX's signed call record in → ticket, first response,
call-back requests for missed calls, threading of outbound calls, and every refusal."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from closeloop.channels import pipeline
from closeloop.channels.models import Delivery, InboundMessage, InboundStatus, Integration
from closeloop.channels.signing import KEY_HEADER, sign
from closeloop.core import clock
from closeloop.people.tests.factories import AgentFactory, UserFactory
from closeloop.sla.models import SlaPolicy
from closeloop.tickets.models import AuthorKind, Message, Status, Ticket

pytestmark = pytest.mark.django_db

CALLS = "/api/v1/channels/phone/calls"
NUMBER = "+8613812345678"
# Monday 2 March 2026, 10:00 in Shanghai: inside the cn-workdays calendar.
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def pbx(db: Any) -> Integration:
    return Integration.objects.create(kind="phone", name="Call centre")


@pytest.fixture
def zhang(db: Any) -> Any:
    return AgentFactory(user=UserFactory(username="zhang"), display_name="张伟")


def answered_call(**fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "call_id": "c-1",
        "direction": "inbound",
        "caller": "138 1234 5678",
        "callee": "400-800-1234",
        "started_at": "2026-03-02T09:50:00+08:00",
        "answered_at": "2026-03-02T09:50:20+08:00",
        "ended_at": "2026-03-02T09:53:45+08:00",
        "agent": "zhang",
        "ivr_choice": "2",
        "recording_url": "https://pbx.example.com/rec/c-1.mp3",
    }
    record.update(fields)
    return {key: value for key, value in record.items() if value is not None}


def post(
    integration: Integration,
    record: dict[str, Any],
    *,
    secret: str | None = None,
    timestamp: int | None = None,
    signed: bool = True,
) -> Any:
    body = json.dumps(record).encode()
    headers = {KEY_HEADER: integration.key}
    if signed:
        headers.update(sign(secret or integration.secret, body, timestamp=timestamp))
    return Client().post(CALLS, body, content_type="application/json", headers=headers)


def receive(integration: Integration, record: dict[str, Any], captured: Any) -> InboundMessage:
    """Post a call and process it as the worker does (after-commit work included)."""
    response = post(integration, record)
    assert response.status_code == 202, response.content
    with captured(execute=True):
        return pipeline.inbound_process(response.json()["id"])


@pytest.fixture
def at_now() -> Any:
    with clock.frozen_at(NOW):
        yield


@pytest.mark.usefixtures("at_now")
def test_an_answered_call_opens_a_ticket_with_the_record_and_its_first_response(
    pbx, zhang, django_capture_on_commit_callbacks
):
    inbound = receive(pbx, answered_call(), django_capture_on_commit_callbacks)

    assert inbound.status == InboundStatus.PROCESSED
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.kind, ticket.status) == ("phone", "inquiry", Status.IN_PROGRESS)
    assert ticket.assignee_id == zhang.pk
    assert ticket.first_responded_at == NOW
    assert list(ticket.customer.identities.values_list("kind", "value")) == [("phone", NUMBER)]
    call, answer = ticket.messages.order_by("pk")
    assert call.author_kind == AuthorKind.CUSTOMER
    assert call.body == "Call from +8613812345678 answered by 张伟, 3 min 25 s. IVR choice: 2."
    assert call.meta["call"] == {
        "integration": pbx.key,
        "call_id": "c-1",
        "direction": "inbound",
        "customer_number": NUMBER,
        "our_number": "400-800-1234",
        "started_at": "2026-03-02T09:50:00+08:00",
        "answered_at": "2026-03-02T09:50:20+08:00",
        "ended_at": "2026-03-02T09:53:45+08:00",
        "answered": True,
        "talk_seconds": 205,
        "wait_seconds": 20,
        "agent": "zhang",
        "agent_id": zhang.pk,
        "ivr_choice": "2",
        "recording_url": "https://pbx.example.com/rec/c-1.mp3",
        "has_transcript": False,
    }
    assert (answer.author_kind, answer.author_agent_id, answer.is_public) == (
        "agent",
        zhang.pk,
        True,
    )
    assert (answer.channel, answer.external_id) == ("phone", f"{pbx.key}:c-1:answered")
    assert not Delivery.objects.exists()  # phone sends nothing


def test_a_transcript_becomes_the_body(pbx, zhang, django_capture_on_commit_callbacks):
    receive(
        pbx,
        answered_call(transcript="客户：耳机没声音。\n坐席：给您换新。"),
        django_capture_on_commit_callbacks,
    )

    message = Message.objects.get(author_kind="customer")
    assert message.body == "客户：耳机没声音。\n坐席：给您换新。"
    assert message.meta["call"]["has_transcript"] is True
    assert message.ticket.subject.startswith("Call from +8613812345678 answered by 张伟")


def test_an_unknown_agent_leaves_the_first_response_open(pbx, django_capture_on_commit_callbacks):
    receive(pbx, answered_call(agent="nobody"), django_capture_on_commit_callbacks)

    ticket = Ticket.objects.get()
    assert ticket.first_responded_at is None
    assert ticket.messages.count() == 1
    assert ticket.messages.get().meta["call"]["agent_id"] is None


@pytest.mark.usefixtures("at_now")
def test_a_missed_call_opens_a_high_priority_call_back_request(
    pbx, django_capture_on_commit_callbacks
):
    record = answered_call(answered_at=None, agent=None, ended_at="2026-03-02T09:50:40+08:00")

    receive(pbx, record, django_capture_on_commit_callbacks)

    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.kind, ticket.priority) == ("phone", "request", "high")
    assert ticket.subject == f"Call back {NUMBER}"
    assert ticket.first_responded_at is None
    message = ticket.messages.get()
    assert message.body == (
        "Missed call from +8613812345678 (hung up after 40 s). Call back. IVR choice: 2."
    )
    assert message.meta["call"]["answered"] is False
    if SlaPolicy.objects.filter(name="Phone call-back").exists():
        # 60 business minutes of Shanghai working hours from 10:00 on a Monday.
        assert ticket.sla_policy_name == "Phone call-back"
        assert ticket.sla_due_at == datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def test_a_replayed_call_id_is_one_message(pbx, zhang, django_capture_on_commit_callbacks):
    first = post(pbx, answered_call())
    second = post(pbx, answered_call())

    assert second.json() == {"status": "duplicate", "id": first.json()["id"]}
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.inbound_process(first.json()["id"])
        pipeline.inbound_process(second.json()["id"])
    assert InboundMessage.objects.count() == 1
    assert Message.objects.filter(author_kind="customer").count() == 1
    assert Message.objects.filter(author_kind="agent").count() == 1


@pytest.mark.parametrize(
    "how",
    [
        {"secret": "not-the-secret"},
        {"signed": False},
        {"timestamp": int(time.time()) - 600},
        {"timestamp": int(time.time()) + 600},
    ],
)
def test_a_wrong_missing_or_stale_signature_is_refused(pbx, how):
    response = post(pbx, answered_call(), **how)

    assert response.status_code == 403
    assert response.json()["code"] == "invalid_signature"
    assert InboundMessage.objects.count() == 0


def test_an_unknown_disabled_or_app_key_is_refused(pbx):
    app = Integration.objects.create(kind="app", name="Shop app")
    assert post(app, answered_call()).status_code == 403
    Integration.objects.filter(pk=pbx.pk).update(enabled=False)
    assert post(pbx, answered_call()).status_code == 403
    assert InboundMessage.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"started_at": "yesterday"}, "invalid_timestamp", "started_at"),
        ({"started_at": "2026-03-02T09:50:00"}, "invalid_timestamp", "started_at"),
        ({"ended_at": "2099-01-01T00:00:00Z"}, "invalid_timestamp", "ended_at"),
        ({"answered_at": "2026-03-02T09:49:00+08:00"}, "invalid_call_times", "answered_at"),
        ({"ended_at": "2026-03-02T09:50:10+08:00"}, "invalid_call_times", "ended_at"),
        ({"caller": "12"}, "invalid_phone_number", "caller"),
        ({"recording_url": "ftp://pbx/x"}, "invalid_input", "recording_url"),
    ],
)
def test_bad_call_records_are_refused_with_a_clear_code(pbx, at_now, change, code, field):
    response = post(pbx, answered_call(**change))

    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert response.json()["details"]["field"] == field
    assert InboundMessage.objects.count() == 0


def test_a_record_missing_fields_is_a_validation_error(pbx):
    response = post(pbx, {"call_id": "c-9", "direction": "sideways"})
    assert (response.status_code, response.json()["code"]) == (422, "validation_error")
    assert InboundMessage.objects.count() == 0


def test_an_outbound_call_threads_onto_the_customers_open_ticket(
    pbx, zhang, django_capture_on_commit_callbacks
):
    missed = answered_call(answered_at=None, agent=None, ended_at="2026-03-02T09:50:40+08:00")
    receive(pbx, missed, django_capture_on_commit_callbacks)
    ticket = Ticket.objects.get()
    call_back = answered_call(
        call_id="c-2",
        direction="outbound",
        caller="8001",
        callee="13812345678",
        started_at="2026-03-02T10:05:00+08:00",
        answered_at="2026-03-02T10:05:12+08:00",
        ended_at="2026-03-02T10:07:12+08:00",
        ivr_choice=None,
        recording_url=None,
    )

    receive(pbx, call_back, django_capture_on_commit_callbacks)

    assert Ticket.objects.count() == 1
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None
    assert ticket.assignee_id == zhang.pk
    bodies = list(ticket.messages.order_by("pk").values_list("author_kind", "body"))
    assert bodies[1:] == [
        ("customer", "Outbound call to +8613812345678 by 张伟, 2 min 0 s."),
        ("agent", "Called the customer (2 min 0 s)."),
    ]


def test_an_unanswered_outbound_call_is_kept_but_opens_nothing(pbx, zhang):
    record = answered_call(
        direction="outbound", caller="8001", callee=NUMBER, answered_at=None, ivr_choice=None
    )
    response = post(pbx, record)

    inbound = pipeline.inbound_process(response.json()["id"])

    assert inbound.status == InboundStatus.IGNORED
    assert inbound.error == "outbound call not answered"
    assert not Ticket.objects.exists()


def test_the_worker_processes_a_posted_call(pbx, zhang, django_capture_on_commit_callbacks):
    from django.core.management import call_command

    with django_capture_on_commit_callbacks(execute=True):
        response = post(pbx, answered_call())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("worker", "--once")

    inbound = InboundMessage.objects.get(pk=response.json()["id"])
    assert inbound.status == InboundStatus.PROCESSED
    assert inbound.ticket is not None
    assert inbound.ticket.first_responded_at is not None
