"""GET /api/v1/metrics: metric values for a period, grouped, as JSON, CSV or XLSX (issue 8);
the goals and the baseline they are compared with.

Reading is for every agent and administrator (customers and strangers get 403); changing
goals and the baseline is for team leads and administrators.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field as SchemaField
from ninja import Query, Router, Schema

from closeloop.analytics import engine, exports, goals
from closeloop.analytics.api import category_by_code, lead_requester
from closeloop.analytics.metrics import Scope, Unit, all_metrics, metric_get
from closeloop.core.errors import InvalidInput
from closeloop.people.access import requester_for

router = Router(tags=["metrics"])

MAX_DAYS = 400
FORMATS = ("json", "csv", "xlsx")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class MetricsQuery(Schema):
    """The period (inclusive days, organisation time zone), grouping, metrics and scope."""

    from_: str = SchemaField(..., alias="from", max_length=10)
    to: str = SchemaField(..., max_length=10)
    group_by: str = SchemaField("", max_length=20)
    metrics: str = SchemaField("", max_length=2000)
    format: str = SchemaField("json", max_length=5)
    touchpoint: str = SchemaField("", max_length=20)
    channel: str = SchemaField("", max_length=20)
    category: str = SchemaField("", max_length=80)
    team: int | None = None
    kind: str = SchemaField("", max_length=20)
    priority: str = SchemaField("", max_length=10)
    segment: str = SchemaField("", max_length=20)
    agent: int | None = None


def _day(raw: str, field: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            _("Give %(field)s as YYYY-MM-DD.") % {"field": field}, details={"field": field}
        ) from None


def _scope(query: MetricsQuery) -> Scope:
    category = category_by_code(query.category)
    return Scope(
        touchpoint=query.touchpoint,
        channel=query.channel,
        category_id=category.pk if category else None,
        team_id=query.team,
        kind=query.kind,
        priority=query.priority,
        segment=query.segment,
        agent_id=query.agent,
    )


def _measurement(
    key: str, value: Any, baseline: Any, goal_rows: dict[str, Any], scale: float
) -> dict[str, Any]:
    before = baseline.value if baseline is not None else None
    if before is not None and metric_get(key).unit == Unit.COUNT:
        before *= scale  # a count grows with the period: compare it per day
    progress = goals.goal_progress(key=key, value=value.value, baseline=before, goals=goal_rows)
    return {
        "value": value.value,
        "numerator": value.numerator,
        "sample": value.sample,
        "goal": progress.as_dict(),
    }


@router.get("", summary="Metric values for a period, grouped (JSON, CSV or XLSX)")
def metrics_view(request: HttpRequest, query: Query[MetricsQuery]) -> Any:
    requester_for(request.user)
    first, last = _day(query.from_, "from"), _day(query.to, "to")
    if last < first:
        raise InvalidInput(_("to is before from."), details={"field": "to"})
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInput(
            _("The period is at most %(days)d days.") % {"days": MAX_DAYS},
            details={"field": "to"},
        )
    if query.format not in FORMATS:
        raise InvalidInput(_("format is json, csv or xlsx."), details={"field": "format"})
    keys = [key.strip() for key in query.metrics.split(",") if key.strip()]
    keys = keys or [definition.key for definition in all_metrics()]
    for key in keys:
        metric_get(key, field="metrics")
    group_by = query.group_by or None
    engine.check_group_by(group_by)
    scope = _scope(query)
    start, end = goals.day_start(first), goals.day_start(last + timedelta(days=1))
    rows = engine.metrics_table(keys=keys, start=start, end=end, group_by=group_by, scope=scope)
    if query.format == "csv":
        response = HttpResponse(
            exports.table_csv(rows, keys, group_by), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="metrics-{first}-{last}.csv"'
        return response
    if query.format == "xlsx":
        response = HttpResponse(
            exports.table_xlsx(rows, keys, group_by, first, last), content_type=XLSX
        )
        response["Content-Disposition"] = f'attachment; filename="metrics-{first}-{last}.xlsx"'
        return response
    bounds = goals.baseline_bounds()
    baseline_rows: dict[Any, engine.Row] = {}
    scale = 1.0
    if bounds is not None:
        scale = (end - start) / (bounds[1] - bounds[0])
        baseline_rows = {
            row.key: row
            for row in engine.metrics_table(
                keys=keys, start=bounds[0], end=bounds[1], group_by=group_by, scope=scope
            )
        }
    goal_rows = goals.goals_by_metric()
    period = goals.baseline_get()
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "group_by": group_by,
        "scope": scope.as_dict(),
        "baseline": (
            {"from": period.start.isoformat(), "to": period.end.isoformat()} if period else None
        ),
        "metrics": [
            {
                "key": key,
                "label": str(metric_get(key).label),
                "unit": str(metric_get(key).unit),
                "direction": str(metric_get(key).direction),
            }
            for key in keys
        ],
        "rows": [
            {
                "key": row.key,
                "label": row.label,
                "values": {
                    key: _measurement(
                        key,
                        row.values[key],
                        baseline_rows[row.key].values[key] if row.key in baseline_rows else None,
                        goal_rows,
                        scale,
                    )
                    for key in keys
                },
            }
            for row in rows
        ],
    }


# --- goals and the baseline -------------------------------------------------------------------


class GoalOut(Schema):
    metric: str
    comparison: str
    target: float


class GoalIn(Schema):
    comparison: str = SchemaField(..., max_length=10)
    target: float


class BaselineIn(Schema):
    start: date | None = None
    end: date | None = None


class BaselineOut(Schema):
    start: date | None
    end: date | None


@router.get("/goals", response=list[GoalOut], summary="The goals")
def goal_list_view(request: HttpRequest) -> list[GoalOut]:
    requester_for(request.user)
    return [
        GoalOut(metric=goal.metric, comparison=goal.comparison, target=goal.target)
        for goal in goals.goals_by_metric().values()
    ]


@router.put("/goals/{metric}", response=GoalOut, summary="Set a metric's goal")
def goal_set_view(request: HttpRequest, metric: str, payload: GoalIn) -> GoalOut:
    requester = lead_requester(request)
    goal = goals.goal_set(
        actor=requester.agent, metric=metric, comparison=payload.comparison, target=payload.target
    )
    return GoalOut(metric=goal.metric, comparison=goal.comparison, target=goal.target)


@router.delete("/goals/{metric}", response={204: None}, summary="Remove a metric's goal")
def goal_delete_view(request: HttpRequest, metric: str) -> tuple[int, None]:
    requester = lead_requester(request)
    goals.goal_delete(actor=requester.agent, metric=metric)
    return 204, None


@router.get("/baseline", response=BaselineOut, summary="The baseline period")
def baseline_view(request: HttpRequest) -> BaselineOut:
    requester_for(request.user)
    period = goals.baseline_get()
    return BaselineOut(start=period.start if period else None, end=period.end if period else None)


@router.put("/baseline", response=BaselineOut, summary="Set or clear the baseline period")
def baseline_set_view(request: HttpRequest, payload: BaselineIn) -> BaselineOut:
    requester = lead_requester(request)
    period = goals.baseline_set(actor=requester.agent, start=payload.start, end=payload.end)
    return BaselineOut(start=period.start if period else None, end=period.end if period else None)
