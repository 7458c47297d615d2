"""Storing a raw email from any path (webhook, IMAP, the command line) the same way: size
limit, the key it is stored under (its Message-ID, else a hash of its bytes), the mailbox it
came through."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from closeloop.channels.email.parse import message_id_of
from closeloop.channels.models import InboundMessage
from closeloop.channels.pipeline import inbound_store
from closeloop.channels.signing import verify
from closeloop.core.errors import CloseloopError, InvalidInput

CHANNEL = "email"
CONTENT_TYPE = "message/rfc822"


class ChannelDisabled(CloseloopError):
    """The email channel's webhook is not configured (no secret), so it takes nothing."""

    code = "channel_disabled"
    http_status = 403


class EmailTooLarge(CloseloopError):
    """A raw message over CLOSELOOP["MAX_EMAIL_BYTES"]."""

    code = "payload_too_large"
    http_status = 413


def max_email_bytes() -> int:
    return int(settings.CLOSELOOP.get("MAX_EMAIL_BYTES", 25 * 1024 * 1024))


def email_check_size(size: int) -> None:
    """Raise ``EmailTooLarge`` for a message over the limit (before it is read, if possible)."""
    limit = max_email_bytes()
    if size > limit:
        raise EmailTooLarge(
            _("The message is larger than %(limit)d bytes.") % {"limit": limit},
            details={"limit_bytes": limit, "size": size},
        )


def email_store(
    raw: bytes,
    *,
    mailbox: str = "",
    source: str,
    enqueue: bool = True,
    extra: dict[str, Any] | None = None,
    enforce_limit: bool = True,
) -> tuple[InboundMessage, bool]:
    """Store one raw message for processing; return (row, created). A message delivered
    twice (same Message-ID, or same bytes without one) is stored once."""
    if enforce_limit:
        email_check_size(len(raw))
    meta: dict[str, Any] = {"source": source, **(extra or {})}
    if mailbox:
        meta["mailbox"] = mailbox.strip().lower()[:320]
    return inbound_store(
        channel=CHANNEL,
        external_id=message_id_of(raw),
        raw=raw,
        content_type=CONTENT_TYPE,
        meta=meta,
        enqueue=enqueue,
    )


def email_webhook_secret() -> str:
    """The webhook's signing secret; without one the webhook takes nothing."""
    secret = str(settings.CLOSELOOP.get("EMAIL_WEBHOOK_SECRET", "") or "")
    if not secret:
        raise ChannelDisabled(_("The email webhook is not configured (EMAIL_WEBHOOK_SECRET)."))
    return secret


def email_webhook_store(
    raw: bytes, *, secret: str, headers: Mapping[str, str], mailbox: str = ""
) -> tuple[InboundMessage, bool]:
    """Store a mail a provider forwarded: within the size limit, signed with the secret,
    not empty. Returns (row, created)."""
    email_check_size(len(raw))
    verify(secret, raw, headers)
    if not raw.strip():
        raise InvalidInput(_("The request body must be a raw email message."))
    return email_store(raw, mailbox=mailbox, source="webhook")
