"""HTTP endpoints of the app channel (under /api/v1/channels/app).

The app backend calls them, not the phone itself: it holds the integration secret and signs
each user's identity, so a user of the app can only ever write and read as themselves.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from closeloop.channels.app.payload import AppMessageIn, app_message_store, identity_check
from closeloop.channels.app.selectors import MAX_TICKETS, ConversationTicket, app_conversation
from closeloop.channels.http import AcceptedOut, accepted, parse_json
from closeloop.channels.integrations import integration_for as find_integration
from closeloop.channels.models import Integration, IntegrationKind
from closeloop.customers.identities import normalize_identity
from closeloop.customers.models import IdentityKind
from closeloop.tickets.models import Message

router = Router(tags=["channels"])


def integration_for(request: HttpRequest) -> Integration:
    """The enabled app integration the request names in its key header."""
    return find_integration(request, IntegrationKind.APP)


def _inlined(schema: Any, definitions: dict[str, Any]) -> Any:
    """A JSON schema with its local ``$defs`` references written out, for the OpenAPI
    document (where ``#/$defs/…`` would point nowhere)."""
    if isinstance(schema, dict):
        reference = schema.get("$ref", "")
        if reference.startswith("#/$defs/"):
            return _inlined(definitions[reference.removeprefix("#/$defs/")], definitions)
        return {k: _inlined(v, definitions) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inlined(item, definitions) for item in schema]
    return schema


_MESSAGE_SCHEMA = AppMessageIn.model_json_schema()
_MESSAGE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": _inlined(_MESSAGE_SCHEMA, _MESSAGE_SCHEMA.get("$defs", {}))
            }
        },
    }
}


@router.post(
    "/messages",
    auth=None,
    response={202: AcceptedOut},
    summary="Relay a message from the app's support screen",
    openapi_extra=_MESSAGE_BODY,
)
def app_message_receive_view(request: HttpRequest) -> Status[AcceptedOut]:
    integration = integration_for(request)
    inbound, created = app_message_store(
        integration,
        parse_json(AppMessageIn, request.body),
        raw=request.body,
        content_type=request.content_type,
        remote_addr=request.META.get("REMOTE_ADDR", ""),
    )
    return accepted(inbound, created)


class ConversationQuery(Schema):
    app_user_id: str = Field(..., min_length=1, max_length=128)
    identity_signature: str = Field("", max_length=128)
    email: str | None = Field(None, max_length=320, description="As signed, if it was.")
    phone: str | None = Field(None, max_length=40, description="As signed, if it was.")
    limit: int = Field(20, ge=1, le=MAX_TICKETS)
    offset: int = Field(0, ge=0)


class AuthorOut(Schema):
    kind: str
    name: str


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    refused: str | None


class ConversationMessageOut(Schema):
    id: int
    body: str
    created_at: datetime
    author: AuthorOut
    attachments: list[AttachmentOut]


class ConversationTicketOut(Schema):
    id: int
    number: int
    subject: str
    status: str
    created_at: datetime
    updated_at: datetime
    messages: list[ConversationMessageOut]


class ConversationOut(Schema):
    app_user_id: str
    tickets: list[ConversationTicketOut]
    has_more: bool


def _message_out(message: Message) -> dict[str, Any]:
    agent = message.author_agent
    return {
        "id": message.pk,
        "body": message.body,
        "created_at": message.created_at,
        "author": {
            "kind": message.author_kind,
            "name": agent.display_name if agent is not None else "",
        },
        "attachments": [
            {
                "id": attachment.pk,
                "filename": attachment.filename,
                "content_type": attachment.content_type,
                "size": attachment.size,
                "refused": attachment.refused_reason or None,
            }
            for attachment in message.attachments.all()
        ],
    }


def _ticket_out(shown: ConversationTicket) -> dict[str, Any]:
    ticket = shown.ticket
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "messages": [_message_out(message) for message in shown.messages],
    }


@router.get(
    "/conversation",
    auth=None,
    response=ConversationOut,
    summary="A signed app user's tickets and their public messages",
)
def app_conversation_view(request: HttpRequest, query: Query[ConversationQuery]) -> dict[str, Any]:
    integration = integration_for(request)
    identity_check(
        integration,
        app_user_id=query.app_user_id,
        email=query.email,
        phone=query.phone,
        signature=query.identity_signature,
    )
    app_user_id = normalize_identity(IdentityKind.APP, query.app_user_id, default_region="")
    conversation = app_conversation(app_user_id=app_user_id, limit=query.limit, offset=query.offset)
    return {
        "app_user_id": app_user_id,
        "tickets": [_ticket_out(ticket) for ticket in conversation.tickets],
        "has_more": conversation.has_more,
    }
