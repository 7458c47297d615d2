"""Domain errors: each has a stable ``code`` and the HTTP status the API maps it to."""

from __future__ import annotations

from typing import Any, ClassVar


class CloseloopError(Exception):
    """Base of every error the domain raises on purpose."""

    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 400

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON body the API sends for this error."""
        body: dict[str, Any] = {"code": self.code, "message": str(self.message)}
        if self.details:
            body["details"] = self.details
        return body


class InvalidInput(CloseloopError):
    """The request is well-formed but a value is not acceptable."""

    code = "invalid_input"
    http_status = 400


class NotFound(CloseloopError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    code = "not_found"
    http_status = 404


class PermissionDenied(CloseloopError):
    """The caller is known but may not do this."""

    code = "forbidden"
    http_status = 403


class InvalidTransition(CloseloopError):
    """The ticket's lifecycle does not allow this change from its current state."""

    code = "invalid_transition"
    http_status = 409


class ConcurrentChange(CloseloopError):
    """Someone else changed the thing between our read and our guarded write."""

    code = "conflict"
    http_status = 409
