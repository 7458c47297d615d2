"""What the channel endpoints share at the HTTP edge: reading a JSON body into a model (422
like every other API body), and the 202 answer for a stored payload."""

from __future__ import annotations

from typing import Literal, TypeVar

from ninja import Field, Schema, Status
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import BaseModel, ValidationError

from closeloop.channels.models import InboundMessage

ModelT = TypeVar("ModelT", bound=BaseModel)


class AcceptedOut(Schema):
    status: Literal["accepted", "duplicate"]
    id: int = Field(..., description="Closeloop's id of the stored payload.")


def accepted(inbound: InboundMessage, created: bool) -> Status[AcceptedOut]:
    """202 for a payload stored now, or found stored from an earlier delivery."""
    return Status(202, AcceptedOut(status="accepted" if created else "duplicate", id=inbound.pk))


def parse_json(model: type[ModelT], body: bytes) -> ModelT:
    """The body as ``model``; a body that does not fit is a 422 ``validation_error``."""
    try:
        return model.model_validate_json(body)
    except ValidationError as error:
        raise NinjaValidationError(
            [dict(detail) for detail in error.errors(include_url=False, include_context=False)]
        ) from None
