"""The chat socket's client frames: read and checked before anything touches the database.

Pure functions: a frame is JSON text ``{"type": ..., ...}``; a bad one raises ``FrameError``
with a stable ``code`` that the consumer sends back as an ``error`` frame (the socket stays
open). ``docs/_fragments/chat.md`` documents every frame.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

MAX_FRAME_BYTES = 16 * 1024
MAX_BODY_CHARS = 5000
CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
VISITOR_TYPES = frozenset({"hello", "message", "leave", "typing", "ping"})
AGENT_TYPES = frozenset({"subscribe", "unsubscribe", "typing", "presence", "ping"})
# What an agent is doing on a ticket (the workspace's collision warning).
PRESENCE_STATES = frozenset({"viewing", "composing", "left"})


class FrameError(Exception):
    """A client frame we cannot use; ``code`` is stable, ``message`` is for people."""

    def __init__(self, code: str, message: str, *, client_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.client_id = client_id

    def frame(self) -> dict[str, Any]:
        """The ``error`` frame that reports this to the client."""
        frame: dict[str, Any] = {"type": "error", "code": self.code, "message": self.message}
        if self.client_id:
            frame["client_id"] = self.client_id
        return frame


@dataclass(frozen=True)
class Frame:
    """One checked client frame."""

    type: str
    data: dict[str, Any]
    raw: bytes


def frame_read(text: str | None, binary: bytes | None, *, allowed: frozenset[str]) -> Frame:
    """Read a text frame into a ``Frame`` whose type is one of ``allowed``."""
    if text is None:
        raise FrameError("bad_frame", _("Frames are JSON text, not binary."))
    raw = text.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_FRAME_BYTES:
        raise FrameError("frame_too_large", _("The frame is larger than 16 KB."))
    try:
        data = json.loads(text)
    except ValueError:
        raise FrameError("bad_json", _("The frame is not JSON.")) from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise FrameError("bad_frame", _("A frame is a JSON object with a type."))
    if data["type"] not in allowed:
        raise FrameError("unknown_type", _("Unknown frame type."))
    return Frame(type=data["type"], data=data, raw=raw)


def optional_text(data: dict[str, Any], name: str, *, max_length: int = 200) -> str:
    """A short optional string field, trimmed; refuse other types."""
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > max_length:
        raise FrameError("invalid_field", _("%(field)s must be a short text.") % {"field": name})
    return value.strip()


def optional_int(data: dict[str, Any], name: str) -> int | None:
    """An optional non-negative integer field (message ids)."""
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FrameError("invalid_field", _("%(field)s must be a number.") % {"field": name})
    return value


def client_id_of(data: dict[str, Any]) -> str:
    """The client's id of a message it sends: what makes a resend idempotent."""
    value = data.get("client_id")
    if not isinstance(value, str) or not CLIENT_ID.match(value):
        raise FrameError(
            "invalid_field", _("client_id must be 1-64 letters, digits or -_.: characters.")
        )
    return value


def body_of(data: dict[str, Any], *, client_id: str | None = None) -> str:
    """The text of a message: not empty, not too long."""
    value = data.get("body")
    if not isinstance(value, str) or not value.strip():
        raise FrameError("invalid_field", _("body must be a non-empty text."), client_id=client_id)
    if len(value) > MAX_BODY_CHARS:
        raise FrameError(
            "invalid_field", _("body is longer than 5000 characters."), client_id=client_id
        )
    return value
