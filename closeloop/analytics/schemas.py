"""Input and output shapes of the analytics API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

from closeloop.analytics.metrics import MetricDefinition
from closeloop.analytics.models import Alert, AlertEvaluation, AlertRule, CorrectiveAction
from closeloop.core import clock

ComparisonCode = Literal["above", "below"]
RootCauseCode = Literal[
    "product_design", "process_gap", "training_gap", "staffing", "external", "other", ""
]
ActionStatusCode = Literal[
    "open", "measures_set", "effect_check_due", "effective", "not_effective", "closed"
]


class MetricOut(Schema):
    key: str
    label: str
    definition: str
    unit: str
    direction: str
    scope_fields: list[str]


class MeasurementOut(Schema):
    metric: str
    start: datetime
    end: datetime
    scope: dict[str, Any]
    value: float | None
    numerator: float
    sample: int


class AlertRuleIn(Schema):
    name: str = Field(..., min_length=1, max_length=150)
    metric: str = Field(..., max_length=60, description="A key from GET /metrics")
    comparison: ComparisonCode
    threshold: float
    clear_threshold: float = Field(
        ..., description="Clears once back past this (at or below the threshold for above)"
    )
    window_hours: int = Field(168, ge=1, le=366 * 24)
    min_sample: int = Field(30, ge=1)
    touchpoint: str = Field("", max_length=20)
    channel: str = Field("", max_length=20)
    category: str | None = Field(None, max_length=80, description="Category code")
    team_id: int | None = None
    is_active: bool = True
    evaluate_every_minutes: int = Field(15, ge=1, le=7 * 24 * 60)
    notify_emails: list[str] = Field(default_factory=list, max_length=20)
    webhook_url: str = Field("", max_length=500)
    webhook_secret: str = Field("", max_length=200)
    owner_id: int | None = Field(None, description="Agent id; empty: the team's lead")
    calendar: str | None = Field(None, max_length=50, description="Business calendar name")


class AlertRulePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=150)
    metric: str | None = Field(None, max_length=60)
    comparison: ComparisonCode | None = None
    threshold: float | None = None
    clear_threshold: float | None = None
    window_hours: int | None = Field(None, ge=1, le=366 * 24)
    min_sample: int | None = Field(None, ge=1)
    touchpoint: str | None = Field(None, max_length=20)
    channel: str | None = Field(None, max_length=20)
    category: str | None = Field(None, max_length=80)
    team_id: int | None = None
    is_active: bool | None = None
    evaluate_every_minutes: int | None = Field(None, ge=1, le=7 * 24 * 60)
    notify_emails: list[str] | None = Field(None, max_length=20)
    webhook_url: str | None = Field(None, max_length=500)
    webhook_secret: str | None = Field(None, max_length=200)
    owner_id: int | None = None
    calendar: str | None = Field(None, max_length=50)


class AlertRuleOut(Schema):
    id: int
    name: str
    metric: str
    comparison: str
    threshold: float
    clear_threshold: float
    window_hours: int
    min_sample: int
    touchpoint: str
    channel: str
    category: str | None
    team_id: int | None
    is_active: bool
    evaluate_every_minutes: int
    notify_emails: list[str]
    webhook_url: str
    has_webhook_secret: bool
    owner_id: int | None
    calendar: str | None
    state: str
    last_value: float | None
    last_sample: int | None
    last_evaluated_at: datetime | None
    open_alert_id: int | None


def rule_out(rule: AlertRule, open_alert_id: int | None = None) -> AlertRuleOut:
    """A rule for the API (the webhook secret is never sent back)."""
    return AlertRuleOut(
        id=rule.pk,
        name=rule.name,
        metric=rule.metric,
        comparison=rule.comparison,
        threshold=rule.threshold,
        clear_threshold=rule.clear_threshold,
        window_hours=rule.window_hours,
        min_sample=rule.min_sample,
        touchpoint=rule.touchpoint,
        channel=rule.channel,
        category=rule.category.code if rule.category else None,
        team_id=rule.team_id,
        is_active=rule.is_active,
        evaluate_every_minutes=rule.evaluate_every_minutes,
        notify_emails=list(rule.notify_emails),
        webhook_url=rule.webhook_url,
        has_webhook_secret=bool(rule.webhook_secret),
        owner_id=rule.owner_id,
        calendar=rule.calendar.name if rule.calendar else None,
        state=rule.state,
        last_value=rule.last_value,
        last_sample=rule.last_sample,
        last_evaluated_at=rule.last_evaluated_at,
        open_alert_id=open_alert_id,
    )


class AlertRuleListOut(Schema):
    items: list[AlertRuleOut]
    count: int


class EvaluationOut(Schema):
    evaluated_at: datetime
    window_start: datetime
    value: float | None
    numerator: float
    sample: int
    outcome: str


def evaluation_out(evaluation: AlertEvaluation) -> EvaluationOut:
    return EvaluationOut(
        evaluated_at=evaluation.evaluated_at,
        window_start=evaluation.window_start,
        value=evaluation.value,
        numerator=evaluation.numerator,
        sample=evaluation.sample,
        outcome=evaluation.outcome,
    )


class AlertOut(Schema):
    id: int
    rule_id: int
    rule_name: str
    status: str
    metric: str
    scope: dict[str, Any]
    threshold: float
    fired_at: datetime
    fired_value: float
    fired_sample: int
    last_value: float
    cleared_at: datetime | None
    cleared_value: float | None
    corrective_action_id: int | None
    evaluations: list[EvaluationOut] = Field(default_factory=list)


def alert_out(alert: Alert, evaluations: list[AlertEvaluation] | None = None) -> AlertOut:
    action = getattr(alert, "corrective_action", None)
    return AlertOut(
        id=alert.pk,
        rule_id=alert.rule_id,
        rule_name=alert.rule.name,
        status=alert.status,
        metric=alert.metric,
        scope=alert.scope,
        threshold=alert.threshold,
        fired_at=alert.fired_at,
        fired_value=alert.fired_value,
        fired_sample=alert.fired_sample,
        last_value=alert.last_value,
        cleared_at=alert.cleared_at,
        cleared_value=alert.cleared_value,
        corrective_action_id=action.pk if action else None,
        evaluations=[evaluation_out(e) for e in evaluations or []],
    )


class AlertListOut(Schema):
    items: list[AlertOut]
    count: int


class ActionCreateIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    owner_id: int | None = None
    metric: str = Field("", max_length=60, description="Metric whose effect is checked")
    touchpoint: str = Field("", max_length=20)
    channel: str = Field("", max_length=20)
    category: str | None = Field(None, max_length=80)
    team_id: int | None = None
    window_hours: int = Field(168, ge=1, le=366 * 24)
    check_after_days: int = Field(14, ge=1, le=365)
    calendar: str | None = Field(None, max_length=50)


class ActionPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    owner_id: int | None = None
    root_cause: RootCauseCode | None = None
    analysis: str | None = Field(None, max_length=20_000)
    measures: str | None = Field(None, max_length=20_000)
    check_after_days: int | None = Field(None, ge=1, le=365)


class TransitionIn(Schema):
    to: ActionStatusCode
    note: str = Field("", max_length=500)


class ActionOut(Schema):
    id: int
    title: str
    alert_id: int | None
    metric: str
    scope: dict[str, Any]
    owner_id: int | None
    owner_name: str | None
    status: str
    due_at: datetime
    is_overdue: bool
    root_cause: str
    analysis: str
    measures: str
    measures_set_at: datetime | None
    check_after_days: int
    effect_check_at: datetime | None
    value_before: float | None
    sample_before: int | None
    value_after: float | None
    sample_after: int | None
    is_improved: bool | None
    effect_checked_at: datetime | None
    closed_at: datetime | None
    allowed_transitions: list[str]
    history: list[dict[str, Any]]


def action_out(action: CorrectiveAction) -> ActionOut:
    from closeloop.analytics.actions import ALLOWED

    return ActionOut(
        id=action.pk,
        title=action.title,
        alert_id=action.alert_id,
        metric=action.metric,
        scope=action.scope,
        owner_id=action.owner_id,
        owner_name=action.owner.display_name if action.owner else None,
        status=action.status,
        due_at=action.due_at,
        is_overdue=action.is_overdue(clock.now()),
        root_cause=action.root_cause,
        analysis=action.analysis,
        measures=action.measures,
        measures_set_at=action.measures_set_at,
        check_after_days=action.check_after_days,
        effect_check_at=action.effect_check_at,
        value_before=action.value_before,
        sample_before=action.sample_before,
        value_after=action.value_after,
        sample_after=action.sample_after,
        is_improved=action.is_improved,
        effect_checked_at=action.effect_checked_at,
        closed_at=action.closed_at,
        allowed_transitions=sorted(ALLOWED[action.status]),
        history=action.history,
    )


class ActionListOut(Schema):
    items: list[ActionOut]
    count: int


def metric_out(definition: MetricDefinition) -> MetricOut:
    return MetricOut(
        key=definition.key,
        label=str(definition.label),
        definition=str(definition.definition),
        unit=definition.unit,
        direction=definition.direction,
        scope_fields=sorted(definition.scope_fields),
    )
