"""HTTP endpoints of the wechat channel (under /api/v1/channels/wechat)."""

from ninja import Router

router = Router(tags=["channels"])
