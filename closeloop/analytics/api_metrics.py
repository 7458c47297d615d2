"""GET /api/v1/metrics: metric values for a period, grouped, as JSON, CSV or XLSX (issue 8)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["metrics"])
