"""Inbound email through the real pipeline: tickets opened and threaded, files stored, noise
ignored, bounces failing our deliveries, broken mail kept without crashing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from closeloop.channels.models import Delivery, DeliveryStatus, InboundMessage, InboundStatus
from closeloop.channels.tests.email_samples import (
    bounce_mail,
    encoded_word,
    rich_mail,
    text_mail,
)
from closeloop.channels.tests.email_support import receive
from closeloop.core import clock
from closeloop.customers.models import Identity
from closeloop.tickets.models import Attachment, EventType, Status, Ticket, TicketEvent
from closeloop.tickets.services import Actor, message_add, ticket_close, ticket_resolve

pytestmark = pytest.mark.django_db


def test_new_mail_opens_a_ticket_with_the_new_text_and_the_quoted_history():
    raw = text_mail(
        "Where is it?\n-- \nAlice\n\nOn Mon, 5 Jan 2026, Shop wrote:\n> Shipped.",
        extra={"Reply-To": "alice@home.example"},
    )

    inbound = receive(raw, mailbox="Support@Shop.Example")

    assert inbound.status == InboundStatus.PROCESSED
    ticket = inbound.ticket
    assert ticket.subject == "Order 123 missing"
    assert ticket.channel == "email"
    message = inbound.message
    assert message.body == "Where is it?"
    assert message.quoted_text == "On Mon, 5 Jan 2026, Shop wrote:\n> Shipped."
    assert message.external_id == "m1@example.com"
    assert message.meta["reply_to"] == "alice@home.example"
    assert message.meta["to"] == ["support@shop.example"]
    assert message.meta["mailbox"] == "support@shop.example"
    assert message.meta["signature"] == "Alice"
    assert message.meta["message_id"] == "m1@example.com"
    identity = Identity.objects.get(customer=ticket.customer)
    assert (identity.kind, identity.value) == ("email", "alice@example.com")


def test_chinese_gbk_mail_opens_a_readable_ticket():
    raw = text_mail(
        "您好，我的订单还没有到。",
        charset="gbk",
        subject=encoded_word("订单未到", "gb2312"),
        sender=f"{encoded_word('张三', 'gbk')} <zhang@example.cn>",
    )

    ticket = receive(raw).ticket

    assert ticket.subject == "订单未到"
    assert ticket.customer.name == "张三"
    assert ticket.messages.get().body == "您好，我的订单还没有到。"


def test_empty_mail_gets_a_placeholder_body():
    inbound = receive(text_mail("", subject="(empty)"))

    assert inbound.message.body == "(no text)"


def test_reply_threads_by_in_reply_to():
    first = receive(text_mail(message_id="<a@example.com>"))
    second = receive(
        text_mail(
            "More info",
            subject="other",
            message_id="<b@example.com>",
            in_reply_to="<a@example.com>",
        )
    )

    assert second.ticket_id == first.ticket_id
    assert Ticket.objects.count() == 1


def test_reply_threads_by_ticket_number_in_the_subject():
    first = receive(text_mail(message_id="<a@example.com>"))
    number = first.ticket.number

    second = receive(text_mail("hi", subject=f"Re: something [#{number}]", message_id="<b@x>"))

    assert second.ticket_id == first.ticket_id


def test_someone_elses_ticket_number_does_not_thread():
    first = receive(text_mail(message_id="<a@example.com>"))

    other = receive(
        text_mail(
            "hi",
            subject=f"Re: [#{first.ticket.number}]",
            sender="mallory@evil.example",
            message_id="<e@x>",
        )
    )

    assert other.ticket_id != first.ticket_id


def test_reply_to_a_resolved_ticket_reopens_it(agent):
    first = receive(text_mail(message_id="<a@example.com>"))
    ticket = first.ticket
    message_add(ticket=ticket, body="Fixed.", actor=Actor.of_agent(agent))
    ticket_resolve(ticket=ticket, actor=Actor.of_agent(agent))

    again = receive(text_mail("Still broken", message_id="<b@x>", in_reply_to="<a@example.com>"))

    ticket.refresh_from_db()
    assert again.ticket_id == ticket.pk
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.reopen_count == 1


def test_reply_to_a_ticket_closed_past_the_reopen_window_opens_a_related_one(agent):
    start = clock.now()
    with clock.frozen_at(start):
        first = receive(text_mail(message_id="<a@example.com>"))
        ticket = first.ticket
        message_add(ticket=ticket, body="Fixed.", actor=Actor.of_agent(agent))
        ticket_resolve(ticket=ticket, actor=Actor.of_agent(agent))
        ticket_close(ticket=ticket, actor=Actor.of_agent(agent))
    with clock.frozen_at(start + timedelta(days=60)):
        again = receive(
            text_mail("It broke again", message_id="<b@x>", in_reply_to="<a@example.com>")
        )

    assert again.ticket_id != ticket.pk
    assert again.ticket.related_to_id == ticket.pk
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_attachments_and_inline_images_are_stored(settings):
    settings.CLOSELOOP = {**settings.CLOSELOOP, "MAX_ATTACHMENT_BYTES": 1000}
    raw = rich_mail(
        attachments=[("invoice.pdf", b"%PDF-1.4 small", "pdf"), ("video.zip", b"x" * 5000, "zip")]
    )

    inbound = receive(raw)

    rows = {a.filename: a for a in Attachment.objects.filter(message=inbound.message)}
    assert set(rows) == {"inline-1.png", "invoice.pdf", "video.zip"}
    inline = rows["inline-1.png"]
    assert (inline.is_inline, inline.content_id) == (True, "photo1@example.com")
    assert inline.file.read().startswith(b"\x89PNG")
    assert rows["invoice.pdf"].file.read() == b"%PDF-1.4 small"
    assert rows["video.zip"].refused_reason == "too_large"
    assert rows["video.zip"].size == 5000
    assert not rows["video.zip"].file
    assert 'src="cid:photo1@example.com"' in inbound.message.html
    assert "<script" not in inbound.message.html


@pytest.mark.parametrize(
    "extra",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"X-Autoreply": "yes"},
        {"List-Unsubscribe": "<mailto:u@x>"},
    ],
)
def test_machine_mail_never_opens_a_ticket(extra):
    inbound = receive(text_mail(extra=extra))

    assert inbound.status == InboundStatus.IGNORED
    assert inbound.ticket is None
    assert Ticket.objects.count() == 0


def test_auto_reply_to_our_reply_does_not_touch_the_ticket(agent):
    first = receive(text_mail(message_id="<a@example.com>"))
    events = TicketEvent.objects.filter(ticket=first.ticket).count()

    ignored = receive(
        text_mail(
            "I am out of office",
            subject="Automatic reply: Order",
            message_id="<ooo@x>",
            in_reply_to="<a@example.com>",
            extra={"Auto-Submitted": "auto-replied"},
        )
    )

    assert ignored.status == InboundStatus.IGNORED
    assert TicketEvent.objects.filter(ticket=first.ticket).count() == events
    assert not Delivery.objects.exists()


def test_a_bounce_of_our_reply_fails_that_delivery(agent):
    first = receive(text_mail(message_id="<a@example.com>"))
    message = message_add(ticket=first.ticket, body="Answer", actor=Actor.of_agent(agent))
    delivery = Delivery.objects.get(message=message)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENT, external_id="ours-1@shop.example", sent_at=clock.now()
    )

    bounce = receive(bounce_mail("ours-1@shop.example"))

    assert bounce.status == InboundStatus.IGNORED
    assert bounce.error == "bounce"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "5.1.1" in delivery.last_error
    event = TicketEvent.objects.get(ticket=first.ticket, type=EventType.DELIVERY_FAILED)
    assert event.after["message_id"] == message.pk
    assert Ticket.objects.count() == 1


def test_a_delay_notice_does_not_fail_the_delivery(agent):
    first = receive(text_mail(message_id="<a@example.com>"))
    message = message_add(ticket=first.ticket, body="Answer", actor=Actor.of_agent(agent))
    Delivery.objects.filter(message=message).update(
        status=DeliveryStatus.SENT, external_id="ours-2@shop.example"
    )

    receive(bounce_mail("ours-2@shop.example", status="4.4.1", action="delayed"))

    assert Delivery.objects.get(message=message).status == DeliveryStatus.SENT


@pytest.mark.parametrize(
    "raw",
    [
        b"\x00\xff\xfe\x01 not mail at all",
        b"From: a@example.com\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n"
        b"--zz\r\nContent-Type: text/plain\r\n\r\ntext of a broken message",
        b"From: a@example.com\r\nSubject: y\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"SGVsbG8gd29y",
        b"Subject: no sender\r\n\r\nhello",
    ],
)
def test_malformed_mail_is_stored_and_processed_or_flagged(raw):
    inbound = receive(raw)

    row = InboundMessage.objects.get(pk=inbound.pk)
    assert bytes(row.raw) == raw
    assert row.status in (InboundStatus.PROCESSED, InboundStatus.FAILED)
    if row.status == InboundStatus.FAILED:
        assert row.error
        assert row.ticket is None
    else:
        assert row.ticket is not None


def test_truncated_base64_body_still_opens_a_ticket():
    raw = (
        b"From: a@example.com\r\nSubject: y\r\nMessage-ID: <t@x>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"SGVsbG8gd29y"
    )

    inbound = receive(raw)

    assert inbound.status == InboundStatus.PROCESSED
    assert inbound.message.body.startswith("Hello wor")


def test_mail_from_our_own_mailbox_is_ignored():
    from closeloop.channels.models import Mailbox

    Mailbox.objects.create(address="support@shop.example", is_default=True)

    inbound = receive(text_mail(sender="support@shop.example"))

    assert inbound.status == InboundStatus.IGNORED
    assert Ticket.objects.count() == 0
