"""The stored form payload: what the ticket's message says, and a payload the adapter cannot
read is flagged on the stored row, never a crash or a ticket."""

from __future__ import annotations

import pytest

from closeloop.channels.adapters import MalformedInput
from closeloop.channels.models import InboundStatus
from closeloop.channels.pipeline import inbound_receive_now
from closeloop.portal.payload import (
    AfterSalesIn,
    PortalSubmission,
    files_decode,
    files_encode,
    request_body,
    request_meta,
    submission_bytes,
    submission_read,
)
from closeloop.tickets.models import Ticket


def test_the_body_is_the_description_then_the_details_in_plain_words():
    submission = PortalSubmission(
        type="request",
        subject="Broken",
        description="It broke.",
        request_type_name="Battery",
        kind="after_sales",
        after_sales=AfterSalesIn(type="repair", order_number="SO-1", item="Speaker"),
    )
    assert request_body(submission) == (
        "It broke.\n\nRequest type: Battery\nAfter-sales request: Repair\n"
        "Order number: SO-1\nItem: Speaker"
    )
    facts = request_meta(submission)["portal"]
    assert facts["after_sales"]["type"] == "repair"
    assert facts["kind"] == "after_sales"


def test_files_survive_the_round_trip_through_the_stored_payload():
    submission = PortalSubmission(
        type="reply",
        ticket_number=10001,
        description="See photo",
        files=files_encode([("a.png", "image/png", b"\x00\x01binary")]),
    )
    again = submission_read(submission_bytes(submission))
    [file] = files_decode(again)
    assert (file.filename, file.content_type, file.data) == (
        "a.png",
        "image/png",
        b"\x00\x01binary",
    )


def test_unreadable_payloads_are_malformed():
    for raw in [b"not json", b'{"type": "other"}', b'{"type": "request", "files": 5}']:
        with pytest.raises(MalformedInput):
            submission_read(raw)
    bad_file = PortalSubmission(
        type="request", description="x", files=[{"filename": "a", "data": "@@@"}]
    )
    with pytest.raises(MalformedInput):
        files_decode(bad_file)


@pytest.mark.django_db
def test_a_stored_payload_the_adapter_cannot_read_is_flagged_not_a_ticket():
    inbound = inbound_receive_now(
        channel="portal", external_id="request:broken", raw=b"{oops", meta={}
    )
    assert inbound.status == InboundStatus.FAILED
    assert "not a portal submission" in inbound.error
    assert Ticket.objects.count() == 0
