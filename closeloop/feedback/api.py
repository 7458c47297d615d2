"""The feedback API (mounted in closeloop/api.py)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["feedback"])
