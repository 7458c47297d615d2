"""HTTP endpoints of the email channel (under /api/v1/channels/email).

``POST /inbound`` takes one raw MIME message as the request body, the way mail providers
forward inbound mail, signed with the shared secret ``CLOSELOOP["EMAIL_WEBHOOK_SECRET"]``
(``signing.py``: ``X-Closeloop-Timestamp`` + ``X-Closeloop-Signature``). It stores the message
and answers 202 at once; the worker turns it into a ticket message.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema, Status

from closeloop.channels.email.intake import (
    email_check_size,
    email_webhook_secret,
    email_webhook_store,
)
from closeloop.channels.http import AcceptedOut, accepted

router = Router(tags=["channels"])


class ErrorOut(Schema):
    code: str
    message: str


@router.post(
    "/inbound",
    auth=None,
    response={202: AcceptedOut, 400: ErrorOut, 403: ErrorOut, 413: ErrorOut},
    summary="Receive one raw email (message/rfc822 body, HMAC-signed)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def email_inbound(request: HttpRequest, mailbox: str = "") -> Status[AcceptedOut]:
    secret = email_webhook_secret()
    # The declared length is checked before the body is read, so an oversized mail is
    # refused without taking it into memory.
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    email_check_size(declared)
    inbound, created = email_webhook_store(
        request.body, secret=secret, headers=request.headers, mailbox=mailbox
    )
    return accepted(inbound, created)
