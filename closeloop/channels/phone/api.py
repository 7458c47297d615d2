"""HTTP endpoints of the phone channel (under /api/v1/channels/phone).

The PBX or call-centre system signs each whole request (``signing.py``); the call record is
checked, stored raw and answered at once, and turned into a ticket by the worker.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from closeloop.channels.http import AcceptedOut, accepted, parse_json
from closeloop.channels.integrations import integration_for as find_integration
from closeloop.channels.models import Integration, IntegrationKind
from closeloop.channels.phone.calls import CallIn, call_store
from closeloop.channels.signing import verify

router = Router(tags=["channels"])


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
    inbound, created = call_store(
        integration,
        parse_json(CallIn, request.body),
        raw=request.body,
        content_type=request.content_type,
        remote_addr=request.META.get("REMOTE_ADDR", ""),
    )
    return accepted(inbound, created)
