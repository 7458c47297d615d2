"""The diagnosis API (mounted in closeloop/api.py at /api/v1/analytics/diagnosis): the same
maturity scores, problem list and improvement table as the page, and the lead's effort
settings. For team leads and administrators; other agents get 403."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field as SchemaField
from ninja import Query, Router, Schema

from closeloop.analytics.api import lead_requester
from closeloop.analytics.dashboards import MAX_PERIOD_DAYS, period_between, period_parse
from closeloop.analytics.diagnosis import (
    diagnosis_compute,
    improvement_effort_set,
    improvement_efforts,
)
from closeloop.core.errors import InvalidInput

router = Router(tags=["analytics"])


class DiagnosisQuery(Schema):
    from_: date | None = SchemaField(None, alias="from")
    to: date | None = None


class EvidenceOut(Schema):
    key: str
    label: str
    unit: str
    value: float | None
    sample: int
    goal: float
    zero_at: float
    weight: int
    sub_score: float | None
    meets_goal: bool | None


class DimensionOut(Schema):
    dimension: str
    label: str
    score: float | None
    level: str | None
    level_label: str
    evidence: list[EvidenceOut]
    measured: int


class EvidenceItemOut(Schema):
    label: str
    value: str


class ProblemOut(Schema):
    urgency: str
    rule: str
    title: str
    evidence: list[EvidenceItemOut]
    affected: int
    tickets: list[int]
    details: dict[str, Any]
    drill: str


class ImprovementOut(Schema):
    measure: str
    measure_label: str
    title: str
    source: str
    impact: int
    effort: int
    priority: float
    quadrant: str
    reason: str


class DiagnosisOut(Schema):
    start: datetime
    end: datetime
    computed_at: datetime
    volume: int
    dimensions: list[DimensionOut]
    problems: list[ProblemOut]
    improvements: list[ImprovementOut]


class EffortOut(Schema):
    measure: str
    label: str
    effort: int
    default: int
    is_changed: bool


class EffortIn(Schema):
    effort: int


def _period(query: DiagnosisQuery) -> tuple[datetime, datetime]:
    if query.from_ is None and query.to is None:
        period = period_parse({})
    else:
        if query.from_ is None or query.to is None:
            field = "from" if query.from_ is None else "to"
            raise InvalidInput(_("Give both from and to, or neither."), details={"field": field})
        if query.to < query.from_:
            raise InvalidInput(_("The period ends before it starts."), details={"field": "to"})
        if (query.to - query.from_).days >= MAX_PERIOD_DAYS:
            raise InvalidInput(_("A period is at most two years."), details={"field": "from"})
        period = period_between(query.from_, query.to)
    return period.start, period.end


@router.get("", response=DiagnosisOut, summary="Service health diagnosis of a period")
def diagnosis_view(request: HttpRequest, query: Query[DiagnosisQuery]) -> dict[str, Any]:
    """Maturity by dimension with its evidence, problems by urgency, improvements by priority;
    ``from`` and ``to`` are days (inclusive), the last 30 days by default."""
    lead_requester(request)
    start, end = _period(query)
    result = diagnosis_compute(start=start, end=end)
    return {
        "start": result.start,
        "end": result.end,
        "computed_at": result.computed_at,
        "volume": result.volume,
        "dimensions": [
            {**dimension.__dict__, "evidence": [row.__dict__ for row in dimension.evidence]}
            for dimension in result.dimensions
        ],
        "problems": [
            {
                **problem.__dict__,
                "evidence": [{"label": label, "value": value} for label, value in problem.evidence],
            }
            for problem in result.problems
        ],
        "improvements": [row.__dict__ for row in result.improvements],
    }


def _efforts() -> list[EffortOut]:
    return [EffortOut(**row.__dict__) for row in improvement_efforts()]


@router.get("/efforts", response=list[EffortOut], summary="Effort per kind of measure")
def effort_list_view(request: HttpRequest) -> list[EffortOut]:
    """Every kind of improvement measure with its effort (a lead's or the default)."""
    lead_requester(request)
    return _efforts()


@router.put("/efforts/{measure}", response=EffortOut, summary="Set the effort of a measure kind")
def effort_set_view(request: HttpRequest, measure: str, payload: EffortIn) -> EffortOut:
    """Store a lead's effort (1–5) for one kind of measure."""
    lead_requester(request)
    improvement_effort_set(measure=measure, effort=payload.effort, actor=request.user)
    return next(row for row in _efforts() if row.measure == measure)
