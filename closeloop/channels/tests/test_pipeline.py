"""The channel-independent path: raw store and dedupe, processing, threading, merging,
flagging, recovery, and replies going out with retry. A small adapter for the ``api``
channel (which has none of its own) stands in for a channel here; each real channel has
its own end-to-end tests."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.management import call_command

from closeloop.channels import adapters, pipeline
from closeloop.channels.adapters import (
    Adapter,
    Blocked,
    MalformedInput,
    Parsed,
    PermanentFailure,
    RetryLater,
    Sender,
)
from closeloop.channels.delivery import BACKOFF, deliveries_retry, delivery_send
from closeloop.channels.models import Delivery, DeliveryStatus, InboundMessage, InboundStatus
from closeloop.core import clock
from closeloop.customers.models import Customer, CustomerMerge
from closeloop.customers.services import customer_identify, customer_unmerge
from closeloop.tickets.intake import Contact, IncomingFile
from closeloop.tickets.models import EventType, Message, Status, Ticket
from closeloop.tickets.services import Actor, message_add, ticket_resolve

pytestmark = pytest.mark.django_db


class ScriptedAdapter(Adapter):
    """Reads a JSON payload; sends by doing what ``outcomes`` says, one per attempt."""

    channel = "api"

    def __init__(self) -> None:
        self.outcomes: list[Exception | str] = []
        self.sent: list[int] = []

    def parse(self, inbound: InboundMessage) -> Parsed:
        try:
            data = json.loads(bytes(inbound.raw))
        except ValueError as error:
            raise MalformedInput(f"not JSON: {error}") from None
        if data.get("explode"):
            raise RuntimeError("adapter bug")
        if data.get("ignore"):
            return Parsed(ignore_reason=data["ignore"])
        return Parsed(
            sender=Sender(
                email=data.get("email"),
                phone=data.get("phone"),
                name=data.get("name", ""),
                proven=data.get("proven", False),
            ),
            contact=Contact(
                channel=data.get("channel", "api"),
                external_id=inbound.external_id,
                subject=data.get("subject", ""),
                body=data["body"],
                files=[
                    IncomingFile(name, "text/plain", base64.b64decode(content))
                    for name, content in data.get("files", {}).items()
                ],
            ),
            references=data.get("refs", []),
        )

    def recipient(self, ticket: Ticket, message: Message) -> str | None:
        return f"customer-{ticket.customer_id}"

    def send(self, delivery: Delivery) -> str:
        outcome = self.outcomes.pop(0) if self.outcomes else "ok"
        if isinstance(outcome, Exception):
            raise outcome
        self.sent.append(delivery.pk)
        return f"out-{delivery.pk}"


@pytest.fixture
def scripted() -> Iterator[ScriptedAdapter]:
    before = adapters.adapter_for("api")
    adapter = ScriptedAdapter()
    adapters.register(adapter)
    yield adapter
    adapters._adapters.pop("api", None)
    if before is not None:
        adapters.register(before)


def receive(external_id: str, **payload: object) -> InboundMessage:
    inbound, _created = pipeline.inbound_store(
        channel="api", external_id=external_id, raw=json.dumps(payload).encode(), enqueue=False
    )
    return pipeline.inbound_process(inbound.pk)


def test_a_payload_is_stored_once_and_becomes_one_message(scripted):
    raw = json.dumps({"email": "a@example.com", "body": "Where is my order?"}).encode()
    first, created = pipeline.inbound_store(channel="api", external_id="m1", raw=raw, enqueue=False)
    again, created_again = pipeline.inbound_store(
        channel="api", external_id="m1", raw=raw, enqueue=False
    )
    assert (created, created_again) == (True, False)
    assert first.pk == again.pk
    processed = pipeline.inbound_process(first.pk)
    pipeline.inbound_process(first.pk)  # a second run (a retried task) changes nothing
    assert processed.status == InboundStatus.PROCESSED
    assert Message.objects.filter(channel="api", external_id="m1").count() == 1
    assert processed.ticket.subject == "Where is my order?"
    assert bytes(InboundMessage.objects.get(pk=first.pk).raw) == raw


def test_the_stored_task_processes_the_payload(scripted, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        inbound, _ = pipeline.inbound_store(
            channel="api", external_id="t1", raw=b'{"email": "t@example.com", "body": "hi"}'
        )
    call_command("worker", "--once")
    inbound.refresh_from_db()
    assert inbound.status == InboundStatus.PROCESSED
    assert inbound.message.body == "hi"


def test_unreadable_payload_is_kept_and_flagged(scripted):
    inbound, _ = pipeline.inbound_store(
        channel="api", external_id="bad", raw=b"\xff not json", enqueue=False
    )
    result = pipeline.inbound_process(inbound.pk)
    assert result.status == InboundStatus.FAILED
    assert "not JSON" in result.error
    assert bytes(result.raw) == b"\xff not json"
    assert not Ticket.objects.exists()


def test_noise_is_stored_and_ignored(scripted):
    result = receive("auto", email="a@example.com", body="I am away", ignore="auto-reply")
    assert result.status == InboundStatus.IGNORED
    assert result.error == "auto-reply"
    assert not Ticket.objects.exists()


def test_unacceptable_content_is_flagged_not_retried(scripted):
    result = receive("ctl", email="a@example.com", body="bad \x00 byte")
    assert result.status == InboundStatus.FAILED
    assert result.error.startswith("invalid_input")
    assert not Message.objects.exists()


def test_a_failure_leaves_the_payload_pending_and_recovery_retries_it(scripted):
    result = receive("boom", email="a@example.com", body="x", explode=True)
    assert result.status == InboundStatus.PENDING
    assert result.attempts == 1
    assert not Ticket.objects.exists()  # nothing half-written
    InboundMessage.objects.filter(pk=result.pk).update(
        raw=b'{"email": "a@example.com", "body": "fixed"}',
        received_at=clock.now() - timedelta(minutes=5),
    )
    assert pipeline.inbound_recover() == 1
    result.refresh_from_db()
    assert result.status == InboundStatus.PROCESSED
    assert result.message.body == "fixed"


def test_a_concurrent_change_is_retried_not_flagged(scripted, monkeypatch):
    from closeloop.core.errors import ConcurrentChange

    def busy(**kwargs):
        raise ConcurrentChange("changed by someone else")

    monkeypatch.setattr(pipeline, "ticket_receive", busy)
    result = receive("busy", email="a@example.com", body="x")
    assert (result.status, result.attempts) == (InboundStatus.PENDING, 1)
    monkeypatch.undo()
    assert pipeline.inbound_process(result.pk).status == InboundStatus.PROCESSED


def test_repeated_failures_end_flagged(scripted):
    inbound, _ = pipeline.inbound_store(
        channel="api", external_id="x", raw=b'{"explode": true, "body": "x"}', enqueue=False
    )
    for _ in range(pipeline.MAX_ATTEMPTS):
        result = pipeline.inbound_process(inbound.pk)
    assert result.status == InboundStatus.FAILED
    assert result.attempts == pipeline.MAX_ATTEMPTS


def test_a_new_contact_threads_onto_the_open_ticket_across_channels(scripted):
    first = receive("c1", email="li@example.com", phone="13800138000", body="My fridge broke")
    ticket = first.ticket
    # The same person later writes from WeChat about it: no duplicate ticket.
    customer = customer_identify(wechat_openid="o-li", phone="13800138000")
    assert customer.pk == ticket.customer_id
    second = receive(
        "c2", phone="+86 138 0013 8000", body="Any news on the fridge?", channel="wechat"
    )
    assert second.ticket_id == ticket.pk
    assert Ticket.objects.count() == 1


def test_email_like_contacts_thread_only_on_the_same_subject(scripted):
    first = receive("s1", email="a@example.com", subject="Refund for order 7", body="x")
    same = receive("s2", email="a@example.com", subject="RE: Refund for order 7", body="y")
    other = receive("s3", email="a@example.com", subject="New question", body="z")
    assert same.ticket_id == first.ticket_id
    assert other.ticket_id != first.ticket_id


def test_references_thread_through_our_own_reply_ids(scripted, agent):
    first = receive("r1", email="a@example.com", subject="Broken", body="x")
    Delivery.objects.create(
        message=first.message,
        ticket=first.ticket,
        channel="api",
        recipient="a",
        external_id="<our-reply@closeloop>",
        created_at=clock.now(),
    )
    reply = receive(
        "r2", email="a@example.com", subject="different", body="y", refs=["<our-reply@closeloop>"]
    )
    assert reply.ticket_id == first.ticket_id


def test_a_quoted_ticket_number_of_someone_else_is_not_followed(scripted):
    theirs = receive("o1", email="victim@example.com", subject="Private", body="x").ticket
    mine = receive("o2", email="attacker@example.com", subject=f"[#{theirs.number}]", body="y")
    assert mine.ticket_id != theirs.pk
    assert theirs.messages.count() == 1


def _resolve(ticket: Ticket, agent) -> None:
    message_add(ticket=ticket, body="Fixed.", actor=Actor.of_agent(agent))
    ticket_resolve(ticket=Ticket.objects.get(pk=ticket.pk), actor=Actor.of_agent(agent))


def test_reply_after_the_reopen_window_opens_a_linked_ticket(scripted, agent):
    first = receive("w1", email="a@example.com", subject="Broken", body="x")
    ticket = first.ticket
    _resolve(ticket, agent)
    with clock.frozen_at(clock.now() + timedelta(days=8)):
        later = receive(
            "w2", email="a@example.com", subject=f"Re: Broken [#{ticket.number}]", body="again"
        )
    assert later.ticket_id != ticket.pk
    assert later.ticket.related_to_id == ticket.pk


def test_reply_within_the_reopen_window_reopens(scripted, agent):
    first = receive("w3", email="a@example.com", subject="Broken", body="x")
    _resolve(first.ticket, agent)
    again = receive(
        "w4", email="a@example.com", subject=f"[#{first.ticket.number}] still", body="no"
    )
    assert again.ticket_id == first.ticket_id
    assert again.ticket.status == Status.IN_PROGRESS
    assert again.ticket.reopen_count == 1


def test_proven_handles_merge_two_customers_reversibly(scripted):
    by_mail = receive("p1", email="wang@example.com", body="from mail").ticket
    by_phone = receive("p2", phone="13900139000", body="from phone").ticket
    assert by_mail.customer_id != by_phone.customer_id
    receive("p3", email="wang@example.com", phone="13900139000", proven=True, body="both")
    merge = CustomerMerge.objects.get()
    survivor = Customer.objects.get(pk=merge.target_id)
    assert set(survivor.tickets.values_list("pk", flat=True)) >= {by_mail.pk, by_phone.pk}
    assert Customer.objects.get(pk=merge.source_id).merged_into_id == survivor.pk
    customer_unmerge(merge=merge, undone_by="admin")
    by_phone.refresh_from_db()
    assert by_phone.customer_id == merge.source_id
    assert Customer.objects.get(pk=merge.source_id).identities.filter(kind="phone").exists()


def test_unproven_handles_do_not_merge(scripted):
    receive("u1", email="zhao@example.com", body="a")
    receive("u2", phone="13700137000", body="b")
    receive("u3", email="zhao@example.com", phone="13700137000", body="c")
    assert not CustomerMerge.objects.exists()


def _reply(agent, ticket: Ticket, capture) -> Delivery:
    with capture(execute=False):
        message_add(ticket=ticket, body="We are on it.", actor=Actor.of_agent(agent))
    return Delivery.objects.get(message__body="We are on it.")


def test_an_agent_reply_goes_out_on_the_customers_channel(
    scripted, agent, django_capture_on_commit_callbacks
):
    ticket = receive("d1", email="a@example.com", body="help").ticket
    delivery = _reply(agent, ticket, django_capture_on_commit_callbacks)
    assert (delivery.channel, delivery.recipient) == ("api", f"customer-{ticket.customer_id}")
    sent = delivery_send(delivery.pk)
    assert sent.status == DeliveryStatus.SENT
    assert sent.external_id == f"out-{delivery.pk}"
    assert delivery_send(delivery.pk) is None  # claimed once: never sent twice
    assert scripted.sent == [delivery.pk]


def test_a_temporary_failure_is_retried_with_backoff_then_fails_on_the_ticket(
    scripted, agent, django_capture_on_commit_callbacks
):
    ticket = receive("d2", email="a@example.com", body="help").ticket
    delivery = _reply(agent, ticket, django_capture_on_commit_callbacks)
    scripted.outcomes = [RetryLater("connection refused")] * (len(BACKOFF) + 1)
    start = clock.now()
    first = delivery_send(delivery.pk)
    assert first.status == DeliveryStatus.PENDING
    assert first.next_attempt_at >= start + BACKOFF[0]
    assert deliveries_retry() == 0  # not due yet
    moment = start
    for step in BACKOFF:
        moment += step + timedelta(seconds=1)
        with clock.frozen_at(moment):
            deliveries_retry()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == len(BACKOFF) + 1
    event = ticket.events.get(type=EventType.DELIVERY_FAILED)
    assert event.after["blocked"] is False
    assert "connection refused" in event.reason


def test_a_permanent_failure_shows_on_the_ticket_at_once(
    scripted, agent, django_capture_on_commit_callbacks
):
    ticket = receive("d3", email="a@example.com", body="help").ticket
    delivery = _reply(agent, ticket, django_capture_on_commit_callbacks)
    scripted.outcomes = [PermanentFailure("550 no such user")]
    assert delivery_send(delivery.pk).status == DeliveryStatus.FAILED
    assert ticket.events.filter(type=EventType.DELIVERY_FAILED).count() == 1


def test_a_blocked_reply_offers_the_other_channels(
    scripted, agent, django_capture_on_commit_callbacks
):
    ticket = receive("d4", email="a@example.com", body="help").ticket
    delivery = _reply(agent, ticket, django_capture_on_commit_callbacks)
    alternatives = [{"channel": "email", "address": "a@example.com"}]
    scripted.outcomes = [Blocked("window closed", alternatives=alternatives)]
    assert delivery_send(delivery.pk).status == DeliveryStatus.BLOCKED
    event = ticket.events.get(type=EventType.DELIVERY_FAILED)
    assert event.after == {
        "message_id": delivery.message_id,
        "channel": "api",
        "blocked": True,
        "alternatives": alternatives,
    }


def test_internal_notes_are_never_sent(scripted, agent, django_capture_on_commit_callbacks):
    ticket = receive("d5", email="a@example.com", body="help").ticket
    with django_capture_on_commit_callbacks(execute=False):
        message_add(ticket=ticket, body="note", actor=Actor.of_agent(agent), is_public=False)
    assert not Delivery.objects.exists()


def test_files_are_stored_within_the_limit_and_shown_on_the_ticket(
    scripted, api, settings, django_capture_on_commit_callbacks
):
    settings.CLOSELOOP = {**settings.CLOSELOOP, "MAX_ATTACHMENT_BYTES": 10}
    files = {
        "note.txt": base64.b64encode(b"small").decode(),
        "../../etc/big.log": base64.b64encode(b"x" * 11).decode(),
    }
    ticket = receive("f1", email="a@example.com", body="see files", files=files).ticket
    detail = api.get(f"/api/v1/tickets/{ticket.pk}").json()
    attachments = detail["messages"][0]["attachments"]
    assert [(a["filename"], a["size"], a["refused_reason"]) for a in attachments] == [
        ("note.txt", 5, ""),
        ("big.log", 11, "too_large"),
    ]
    download = api.client.get(
        f"/api/v1/tickets/{ticket.pk}/attachments/{attachments[0]['id']}", headers=api.headers
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"small"
    refused = api.get(f"/api/v1/tickets/{ticket.pk}/attachments/{attachments[1]['id']}")
    assert (refused.status_code, refused.json()["code"]) == (404, "not_found")


def test_the_ticket_shows_how_a_reply_is_getting_out(
    scripted, api, agent, django_capture_on_commit_callbacks
):
    ticket = receive("f2", email="a@example.com", body="help").ticket
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/tickets/{ticket.pk}/messages", {"body": "On it"})
    assert response.status_code == 201
    assert [d["status"] for d in response.json()["deliveries"]] == ["pending"]
    call_command("worker", "--once")
    reply = api.get(f"/api/v1/tickets/{ticket.pk}").json()["messages"][-1]
    assert reply["channel"] == "api"
    assert [(d["channel"], d["status"]) for d in reply["deliveries"]] == [("api", "sent")]
