"""Surveys (CSAT, NPS, CES), invitations, responses, follow-ups and feedback tickets."""

from __future__ import annotations
