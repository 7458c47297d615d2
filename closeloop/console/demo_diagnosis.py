"""Demo content for the diagnosis page: the demo's lead has judged two kinds of measure easier
than the defaults (the chat has spare agents to move at peak hours; the team writes articles
weekly), so the priority table shows a lead's estimates beside the defaults."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from closeloop.analytics.diagnosis import improvement_effort_set
from closeloop.analytics.diagnosis_improvements import MeasureKind

DEMO_EFFORTS = {MeasureKind.CHAT_STAFFING: 2, MeasureKind.KNOWLEDGE_ARTICLES: 1}


def install_demo_diagnosis() -> dict[str, int]:
    """Store the demo lead's effort estimates (idempotent); return them."""
    lead = get_user_model().objects.filter(username="li.na").first()  # the after-sales lead
    for measure, effort in DEMO_EFFORTS.items():
        improvement_effort_set(measure=measure, effort=effort, actor=lead)
    return {str(measure): effort for measure, effort in DEMO_EFFORTS.items()}
