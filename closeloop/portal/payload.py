"""What the portal stores for one submitted form (a new request or a reply on a ticket), and
how the portal channel adapter reads it back. The view builds it from a validated form; the
raw JSON is kept by the channel pipeline before anything else happens, so a crash or a
double submit never loses or duplicates a request."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Literal

from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from closeloop.channels.adapters import MalformedInput
from closeloop.tickets.intake import IncomingFile
from closeloop.tickets.models import Kind

CHANNEL = "portal"

# What the customer says they came for → the ticket's kind.
REQUEST_KINDS: dict[str, str] = {
    "question": Kind.INQUIRY,
    "problem": Kind.INCIDENT,
    "after_sales": Kind.REQUEST,
    "feedback": Kind.FEEDBACK,
    "complaint": Kind.COMPLAINT,
}
AFTER_SALES_TYPES = ("return", "exchange", "repair", "refund")


class FileIn(BaseModel):
    """One uploaded file, its bytes in base64."""

    filename: str = Field(..., min_length=1, max_length=255)
    content_type: str = Field(default="application/octet-stream", max_length=150)
    data: str


class AfterSalesIn(BaseModel):
    """The structured part of an after-sales request."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["return", "exchange", "repair", "refund"]
    order_number: str = Field(..., min_length=1, max_length=64)
    item: str = Field(default="", max_length=200)
    reason: str = Field(default="", max_length=2000)
    preferred_resolution: str = Field(default="", max_length=500)
    amount: str = Field(default="", max_length=32)


class PortalSubmission(BaseModel):
    """One form the customer sent from the portal."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["request", "reply"]
    email: str | None = Field(default=None, max_length=320)
    name: str = Field(default="", max_length=200)
    language: str = Field(default="en", max_length=10)
    # A reply: the ticket it answers (the intake threads it only onto the sender's own).
    ticket_number: int | None = None
    subject: str = Field(default="", max_length=300)
    description: str = Field(default="", max_length=20_000)
    request_type: str = Field(default="", max_length=80)
    request_type_name: str = Field(default="", max_length=200)
    kind: str = Field(default="question", max_length=20)
    after_sales: AfterSalesIn | None = None
    files: list[FileIn] = Field(default_factory=list, max_length=20)


def submission_bytes(submission: PortalSubmission) -> bytes:
    """The raw payload the pipeline stores."""
    return json.dumps(submission.model_dump(mode="json"), ensure_ascii=False).encode()


def submission_read(raw: bytes) -> PortalSubmission:
    """The stored payload; MalformedInput when it is not one."""
    try:
        return PortalSubmission.model_validate_json(raw)
    except ValidationError as error:
        raise MalformedInput(f"not a portal submission: {error.errors()[:3]}") from None


def files_decode(submission: PortalSubmission) -> list[IncomingFile]:
    """The submission's files as bytes."""
    files: list[IncomingFile] = []
    for item in submission.files:
        try:
            data = base64.b64decode(item.data, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedInput(f"attachment {item.filename!r} is not base64") from None
        files.append(
            IncomingFile(filename=item.filename, content_type=item.content_type, data=data)
        )
    return files


def files_encode(files: list[tuple[str, str, bytes]]) -> list[FileIn]:
    """(name, content type, bytes) triples as payload files."""
    return [
        FileIn(filename=name, content_type=content_type, data=base64.b64encode(data).decode())
        for name, content_type, data in files
    ]


def request_body(submission: PortalSubmission) -> str:
    """The text the ticket shows: the description, then the structured fields in plain words."""
    lines: list[str] = []
    if submission.request_type_name:
        lines.append(_("Request type: %(name)s") % {"name": submission.request_type_name})
    details = submission.after_sales
    if details is not None:
        labels = {
            "return": _("Return"),
            "exchange": _("Exchange"),
            "repair": _("Repair"),
            "refund": _("Refund"),
        }
        lines.append(_("After-sales request: %(type)s") % {"type": labels[details.type]})
        lines.append(_("Order number: %(number)s") % {"number": details.order_number})
        if details.item:
            lines.append(_("Item: %(item)s") % {"item": details.item})
        if details.reason:
            lines.append(_("Reason: %(reason)s") % {"reason": details.reason})
        if details.preferred_resolution:
            lines.append(
                _("Preferred resolution: %(value)s") % {"value": details.preferred_resolution}
            )
        if details.amount:
            lines.append(_("Refund amount: %(amount)s") % {"amount": details.amount})
    body = submission.description.strip()
    if lines:
        body = f"{body}\n\n" + "\n".join(lines) if body else "\n".join(lines)
    if not body:
        names = ", ".join(item.filename for item in submission.files)
        body = _("(sent %(files)s)") % {"files": names} if names else ""
    return body


def request_meta(submission: PortalSubmission) -> dict[str, Any]:
    """The portal facts kept on the message (what the workspace and reports read)."""
    facts: dict[str, Any] = {
        "type": submission.type,
        "language": submission.language,
        "email": submission.email or "",
    }
    if submission.type == "request":
        facts.update(kind=submission.kind, request_type=submission.request_type)
        if submission.after_sales is not None:
            facts["after_sales"] = submission.after_sales.model_dump()
    return {"portal": facts}
