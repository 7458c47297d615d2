"""The people API (mounted at /api/v1/people/): training, assessments, mentoring, onboarding."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["people"])
