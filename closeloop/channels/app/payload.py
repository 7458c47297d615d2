"""What an app backend sends for one in-app support message, and the checks it must pass.

The same model reads the request (in the HTTP handler, before anything is stored) and the
stored raw body (in the adapter, later in the worker), so both sides agree on every field.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field

from closeloop.channels import pipeline
from closeloop.channels.models import InboundMessage, Integration
from closeloop.channels.signing import InvalidSignature, verify_value
from closeloop.core.errors import InvalidInput
from closeloop.core.models import Organization
from closeloop.customers.identities import normalize_identity
from closeloop.customers.models import IdentityKind
from closeloop.tickets.intake import IncomingFile

MAX_ATTACHMENTS = 10


class DeviceIn(BaseModel):
    """The device the message was written on, shown to the agent beside the message."""

    model_config = ConfigDict(extra="ignore")

    platform: str = Field("", max_length=40, description="ios, android, harmonyos, …")
    os_version: str = Field("", max_length=40)
    app_version: str = Field("", max_length=40)
    model: str = Field("", max_length=100)
    locale: str = Field("", max_length=35)


class AttachmentIn(BaseModel):
    filename: str = Field(..., min_length=1, max_length=255)
    content_type: str = Field("application/octet-stream", max_length=150)
    data: str = Field(..., description="The file's bytes, base64 (standard alphabet).")


class AppMessageIn(BaseModel):
    """One message a user wrote in the app's support screen, as the app backend relays it."""

    model_config = ConfigDict(extra="ignore")

    app_user_id: str = Field(..., min_length=1, max_length=128)
    identity_signature: str = Field(
        "",
        max_length=128,
        description='hex HMAC-SHA256(secret, "app_user_id\\nemail\\nphone"), empty strings '
        "for a missing email or phone.",
    )
    message_id: str = Field(
        ..., min_length=1, max_length=190, description="The app's own id: a resend is stored once."
    )
    text: str = Field("", max_length=200_000)
    name: str = Field("", max_length=200)
    email: str | None = Field(None, max_length=320)
    phone: str | None = Field(None, max_length=40)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)
    device: DeviceIn | None = None


def identity_value(app_user_id: str, email: str | None, phone: str | None) -> str:
    """The text an identity signature signs: one line per handle, empty when absent."""
    return "\n".join([app_user_id, email or "", phone or ""])


def identity_check(
    integration: Integration,
    *,
    app_user_id: str,
    email: str | None,
    phone: str | None,
    signature: str,
) -> None:
    """Refuse unless the app backend signed exactly these handles (one user cannot write, or
    read, as another: the signature covers the user id and the contact details)."""
    if not verify_value(
        integration.secret, identity_value(app_user_id, email, phone), (signature or "").lower()
    ):
        raise InvalidSignature(_("The identity signature does not match this user."))


def handles_check(message: AppMessageIn) -> dict[str, str]:
    """Normalised handles of the message's author; InvalidInput for an unusable one."""
    region = Organization.cached().default_phone_region
    handles = {
        "app_user_id": normalize_identity(
            IdentityKind.APP, message.app_user_id, default_region=region
        )
    }
    if message.email:
        handles["email"] = normalize_identity(
            IdentityKind.EMAIL, message.email, default_region=region
        )
    if message.phone:
        handles["phone"] = normalize_identity(
            IdentityKind.PHONE, message.phone, default_region=region
        )
    return handles


def attachments_decode(message: AppMessageIn) -> list[IncomingFile]:
    """The message's files as bytes; InvalidInput naming the first one that is not base64.

    Size is not checked here: a file over the attachment limit is stored as refused by the
    intake (the agent sees it was sent), and the request limit already bounds the total.
    """
    files: list[IncomingFile] = []
    for index, attachment in enumerate(message.attachments):
        try:
            data = base64.b64decode(attachment.data, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput(
                _("Attachment %(name)s is not valid base64.") % {"name": attachment.filename},
                details={"field": f"attachments[{index}].data"},
            ) from None
        files.append(
            IncomingFile(
                filename=attachment.filename, content_type=attachment.content_type, data=data
            )
        )
    return files


def message_body(message: AppMessageIn) -> str:
    """The text the ticket shows: what the user typed, or which files they sent."""
    text = message.text.strip()
    if text:
        return text
    names = ", ".join(attachment.filename for attachment in message.attachments)
    if names:
        return _("(sent %(files)s)") % {"files": names}
    raise InvalidInput(_("A message needs text or an attachment."), details={"field": "text"})


def message_meta(message: AppMessageIn, *, integration_key: str) -> dict[str, Any]:
    """The channel facts kept on the ticket's message: which app, which user, which device.

    Replies go back through the integration named here (the customer's latest app message).
    """
    meta: dict[str, Any] = {
        "integration": integration_key,
        "app_user_id": message.app_user_id,
        "message_id": message.message_id,
    }
    if message.device is not None:
        meta["device"] = {key: value for key, value in message.device.model_dump().items() if value}
    return {"app": meta}


def app_message_store(
    integration: Integration,
    message: AppMessageIn,
    *,
    raw: bytes,
    content_type: str | None,
    remote_addr: str = "",
) -> tuple[InboundMessage, bool]:
    """Check a signed app message completely, then store it raw for the worker; return
    (row, created). A bad message is refused here rather than stored and failed later."""
    identity_check(
        integration,
        app_user_id=message.app_user_id,
        email=message.email,
        phone=message.phone,
        signature=message.identity_signature,
    )
    handles_check(message)
    attachments_decode(message)
    message_body(message)
    return pipeline.inbound_store(
        channel="app",
        external_id=f"{integration.key}:{message.message_id}",
        raw=raw,
        content_type=content_type or "application/json",
        meta={
            "integration": integration.key,
            "app_user_id": message.app_user_id,
            "identity_verified": True,
            "remote_addr": remote_addr,
        },
    )
