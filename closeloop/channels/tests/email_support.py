"""Shared pieces of the email tests that touch the database or the network: receiving a raw
message through the real pipeline, and a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from closeloop.channels.email.intake import email_store
from closeloop.channels.models import InboundMessage, Mailbox, SmtpSecurity
from closeloop.channels.pipeline import inbound_process


def receive(raw: bytes, *, mailbox: str = "") -> InboundMessage:
    """Store and process one raw message as the worker would."""
    inbound, _created = email_store(raw, mailbox=mailbox, source="test", enqueue=False)
    return inbound_process(inbound.pk)


@dataclass
class RecordingHandler:
    """An SMTP server's behaviour: keep every message, or refuse with a given reply."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[Any] = field(default_factory=list)
    refuse_with: str = ""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, ANN201, N802
        if self.refuse_with:
            return self.refuse_with
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        self.envelopes.append(envelope)
        self.messages.append(
            email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        )
        return "250 Message accepted"


class LoopbackSmtp(Controller):
    """aiosmtpd on 127.0.0.1 with a port chosen by the OS."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@contextmanager
def running_smtp() -> Iterator[tuple[LoopbackSmtp, RecordingHandler]]:
    """A real SMTP server on loopback for the duration of the block."""
    handler = RecordingHandler()
    controller = LoopbackSmtp(handler, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def support_mailbox(port: int, **fields: Any) -> Mailbox:
    """The default support mailbox, sending through the loopback SMTP server."""
    values: dict[str, Any] = {
        "address": "support@shop.example",
        "name": "Shop Support",
        "is_default": True,
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": SmtpSecurity.NONE,
        **fields,
    }
    return Mailbox.objects.create(**values)
