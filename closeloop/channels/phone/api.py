"""HTTP endpoints of the phone channel (under /api/v1/channels/phone)."""

from ninja import Router

router = Router(tags=["channels"])
