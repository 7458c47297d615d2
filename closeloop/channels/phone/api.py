"""HTTP endpoints of the phone channel (under /api/v1/channels/phone).

The PBX or call-centre system signs each whole request (``signing.py``); the call record is
checked, stored raw and answered at once, and turned into a ticket by the worker.
"""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import ValidationError

from closeloop.channels import pipeline
from closeloop.channels.integrations import integration_for as find_integration
from closeloop.channels.models import Integration, IntegrationKind
from closeloop.channels.phone.adapter import CHANNEL
from closeloop.channels.phone.calls import CallIn, call_check
from closeloop.channels.signing import verify

router = Router(tags=["channels"])


class AcceptedOut(Schema):
    status: Literal["accepted", "duplicate"]
    id: int = Field(..., description="Closeloop's id of the stored call record.")


def integration_for(request: HttpRequest) -> Integration:
    """The enabled phone integration the request names, once its signature is checked."""
    integration = find_integration(request, IntegrationKind.PHONE)
    verify(integration.secret, request.body, request.headers)
    return integration


@router.post(
    "/calls",
    auth=None,
    response={202: AcceptedOut},
    summary="Report a finished call (signed)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": CallIn.model_json_schema()}},
        }
    },
)
def phone_call_receive_view(request: HttpRequest) -> Status[AcceptedOut]:
    integration = integration_for(request)
    try:
        record = CallIn.model_validate_json(request.body)
    except ValidationError as error:
        raise NinjaValidationError(
            [dict(detail) for detail in error.errors(include_url=False, include_context=False)]
        ) from None
    call = call_check(record)
    inbound, created = pipeline.inbound_store(
        channel=CHANNEL,
        external_id=f"{integration.key}:{call.call_id}",
        raw=request.body,
        content_type=request.content_type or "application/json",
        meta={
            "integration": integration.key,
            "direction": call.direction,
            "customer_number": call.customer_number,
            "remote_addr": request.META.get("REMOTE_ADDR", ""),
        },
    )
    return Status(202, AcceptedOut(status="accepted" if created else "duplicate", id=inbound.pk))
