"""HTTP endpoints of the email channel (under /api/v1/channels/email).

``POST /inbound`` takes one raw MIME message as the request body, the way mail providers
forward inbound mail, signed with the shared secret ``CLOSELOOP["EMAIL_WEBHOOK_SECRET"]``
(``signing.py``: ``X-Closeloop-Timestamp`` + ``X-Closeloop-Signature``). It stores the message
and answers 202 at once; the worker turns it into a ticket message.
"""

from __future__ import annotations

from typing import Literal

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from closeloop.channels.email.intake import ChannelDisabled, email_check_size, email_store
from closeloop.channels.signing import verify
from closeloop.core.errors import InvalidInput

router = Router(tags=["channels"])


class InboundAccepted(Schema):
    status: Literal["accepted", "duplicate"]
    id: int


class ErrorOut(Schema):
    code: str
    message: str


@router.post(
    "/inbound",
    auth=None,
    response={202: InboundAccepted, 400: ErrorOut, 403: ErrorOut, 413: ErrorOut},
    summary="Receive one raw email (message/rfc822 body, HMAC-signed)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def email_inbound(request: HttpRequest, mailbox: str = "") -> Status:
    secret = str(settings.CLOSELOOP.get("EMAIL_WEBHOOK_SECRET", "") or "")
    if not secret:
        raise ChannelDisabled(_("The email webhook is not configured (EMAIL_WEBHOOK_SECRET)."))
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    email_check_size(declared)
    raw = request.body
    email_check_size(len(raw))
    verify(secret, raw, request.headers)
    if not raw.strip():
        raise InvalidInput(_("The request body must be a raw email message."))
    inbound, created = email_store(raw, mailbox=mailbox, source="webhook")
    return Status(
        202, InboundAccepted(status="accepted" if created else "duplicate", id=inbound.pk)
    )
