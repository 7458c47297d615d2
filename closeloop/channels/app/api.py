"""HTTP endpoints of the app channel (under /api/v1/channels/app)."""

from ninja import Router

router = Router(tags=["channels"])
