"""The adapter interface every channel implements, and the registry of adapters.

An adapter turns a stored ``InboundMessage`` into a ``Parsed`` (who wrote, what they wrote,
what it replies to) and sends a ``Delivery`` back out. The pipeline (``pipeline.py``) and the
outbound side (``delivery.py``) do the rest the same way for every channel.

Adapters register themselves at import; ``ADAPTER_MODULES`` lists the modules imported when
the app is ready.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from closeloop.core.errors import CloseloopError

if TYPE_CHECKING:
    from closeloop.channels.models import Delivery, InboundMessage
    from closeloop.tickets.intake import Contact
    from closeloop.tickets.models import Message, Ticket

ADAPTER_MODULES = (
    "closeloop.channels.email.adapter",
    "closeloop.channels.chat.adapter",
    "closeloop.channels.wechat.adapter",
    "closeloop.channels.app.adapter",
    "closeloop.channels.phone.adapter",
    "closeloop.channels.sms",
)


class MalformedInput(CloseloopError):
    """The raw payload cannot be read; it is kept and flagged, never retried."""

    code = "malformed_input"
    http_status = 400


class RetryLater(Exception):  # noqa: N818 - an outcome, not an error
    """A temporary delivery failure (connection refused, 4xx SMTP reply): retry with backoff."""


class PermanentFailure(Exception):  # noqa: N818
    """The delivery can never succeed (5xx SMTP reply, unknown recipient): shown on the ticket."""


class Blocked(Exception):  # noqa: N818
    """The channel does not allow the reply now (WeChat's reply window); shown on the ticket
    with the customer's other channels as ``alternatives``."""

    def __init__(self, reason: str, *, alternatives: list[dict[str, str]] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.alternatives = alternatives or []


@dataclass
class Sender:
    """Who wrote, by the handles the channel knows them by."""

    email: str | None = None
    phone: str | None = None
    wechat_openid: str | None = None
    app_user_id: str | None = None
    chat_visitor_id: str | None = None
    name: str = ""
    # The channel vouches that all these handles are one person (a signed app identity, a
    # phone number the chat visitor gave): owners found for them are merged.
    proven: bool = False
    # Handles the sender states but the channel cannot vouch for (an email typed into the
    # chat widget): added to the sender's record when no other customer has them.
    claimed: dict[str, str | None] = field(default_factory=dict)

    def handles(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "phone": self.phone,
            "wechat_openid": self.wechat_openid,
            "app_user_id": self.app_user_id,
            "chat_visitor_id": self.chat_visitor_id,
        }


@dataclass
class Parsed:
    """What an adapter read from one inbound payload."""

    sender: Sender | None = None
    contact: Contact | None = None
    # Set for payloads that are stored but open nothing (auto-replies, bounces, bulk mail,
    # unsubscribe events, unknown message types): the reason is kept on the InboundMessage.
    ignore_reason: str = ""
    # Ids of earlier messages on this channel this one answers (email References); the
    # pipeline resolves them, through stored messages and our deliveries, to tickets.
    references: list[str] = field(default_factory=list)


class Adapter:
    """Base class of a channel adapter; subclasses set ``channel`` and override what applies."""

    channel: ClassVar[str] = ""
    # Deliveries sent in the web process right after the reply commits (the chat socket
    # lives there); the others are sent by the worker.
    send_inline: ClassVar[bool] = False
    # False for channels replies cannot go out through (phone): an agent's reply there is
    # recorded on the ticket only, and the agent picks another channel (``via``) to send it.
    sends: ClassVar[bool] = True

    def parse(self, inbound: InboundMessage) -> Parsed:
        """Read a stored payload. Raise ``MalformedInput`` when it cannot be read."""
        raise NotImplementedError

    def recipient(self, ticket: Ticket, message: Message) -> str | None:
        """Where a reply on this ticket goes on this channel; None when nowhere."""
        return None

    def send(self, delivery: Delivery) -> str:
        """Send one reply; return the channel's id for it. Raise ``RetryLater``,
        ``PermanentFailure`` or ``Blocked``."""
        raise PermanentFailure(f"{self.channel} cannot send replies")

    def on_received(self, inbound: InboundMessage, received: Any) -> None:
        """Hook run inside the intake transaction, after the payload became a message: more
        writes that must happen exactly when the message is stored (an answered call's
        agent side). An exception here undoes the whole intake, which is then retried."""

    def after_processed(self, inbound: InboundMessage, received: Any) -> None:
        """Hook run after the intake committed (e.g. to push the message live)."""


_adapters: dict[str, Adapter] = {}


def register(adapter: Adapter) -> Adapter:
    _adapters[adapter.channel] = adapter
    return adapter


def adapter_for(channel: str) -> Adapter | None:
    """The adapter of a channel, or None when no adapter handles it."""
    return _adapters.get(channel)


def load_adapters() -> None:
    for module in ADAPTER_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            if error.name != module:
                raise
