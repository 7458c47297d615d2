"""HTTP endpoints of the email channel (under /api/v1/channels/email)."""

from ninja import Router

router = Router(tags=["channels"])
