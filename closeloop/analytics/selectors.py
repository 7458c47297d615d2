"""Reads for the alert pages and API: rules with their open alert, alerts, corrective actions
(overdue first)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Case, IntegerField, OuterRef, QuerySet, Subquery, Value, When

from closeloop.analytics.models import (
    ActionStatus,
    Alert,
    AlertEvaluation,
    AlertRule,
    AlertStatus,
    CorrectiveAction,
)

EVALUATIONS_SHOWN = 50


def rules_listed() -> QuerySet[AlertRule]:
    """Every rule with the id of its open alert (``open_alert_id``), by name."""
    firing = Alert.objects.filter(rule=OuterRef("pk"), status=AlertStatus.FIRING).values("pk")[:1]
    return (
        AlertRule.objects.select_related("category", "team", "owner", "calendar")
        .annotate(open_alert_id=Subquery(firing))
        .order_by("name")
    )


def alerts_listed(*, status: str | None = None, rule_id: int | None = None) -> QuerySet[Alert]:
    """Alerts, firing first, newest first."""
    alerts = Alert.objects.select_related("rule", "corrective_action")
    if status:
        alerts = alerts.filter(status=status)
    if rule_id is not None:
        alerts = alerts.filter(rule_id=rule_id)
    firing_first = Case(
        When(status=AlertStatus.FIRING, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return alerts.order_by(firing_first, "-fired_at", "-pk")


def alert_evaluations(alert: Alert) -> list[AlertEvaluation]:
    """The rule's evaluations from the alert's firing to its clearing (the latest 50)."""
    evaluations = AlertEvaluation.objects.filter(
        rule_id=alert.rule_id, evaluated_at__gte=alert.fired_at
    )
    if alert.cleared_at is not None:
        evaluations = evaluations.filter(evaluated_at__lte=alert.cleared_at)
    return list(evaluations.order_by("-evaluated_at", "-pk")[:EVALUATIONS_SHOWN])


def actions_listed(
    *,
    now: datetime,
    status: str | None = None,
    is_overdue: bool | None = None,
    owner_id: int | None = None,
) -> QuerySet[CorrectiveAction]:
    """Corrective actions: overdue first, then open ones by due time, then the rest."""
    actions = CorrectiveAction.objects.select_related("owner", "alert")
    if status:
        actions = actions.filter(status=status)
    if owner_id is not None:
        actions = actions.filter(owner_id=owner_id)
    overdue = {"status": ActionStatus.OPEN, "due_at__lt": now}
    if is_overdue is True:
        actions = actions.filter(**overdue)
    elif is_overdue is False:
        actions = actions.exclude(**overdue)
    rank = Case(
        When(then=Value(0), **overdue),
        When(status=ActionStatus.CLOSED, then=Value(2)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return actions.annotate(rank=rank).order_by("rank", "due_at", "pk")
