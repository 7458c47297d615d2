"""Alert rules and their evaluation: create and change rules, evaluate one, sweep all due.

An alert fires once: the open alert of a rule is unique (``alert_one_firing_per_rule``), so a
value that stays past the threshold only updates it, and two workers evaluating at once
cannot open two. It clears with hysteresis, only once the value is back past the clear
threshold, by a guarded update from firing. Below the minimum sample nothing fires or clears.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from closeloop.analytics.actions import corrective_action_open_for_alert
from closeloop.analytics.metrics import Scope, measuring, metric_get, scope_check
from closeloop.analytics.models import (
    Alert,
    AlertEvaluation,
    AlertRule,
    AlertStatus,
    Comparison,
    EvaluationOutcome,
    RuleState,
)
from closeloop.analytics.notify import notifications_create
from closeloop.core import clock
from closeloop.core.errors import CloseloopError, InvalidInput
from closeloop.people.models import Agent, Team
from closeloop.sla.models import Calendar
from closeloop.tickets.models import Channel, Touchpoint
from closeloop.triage.models import Category

logger = logging.getLogger(__name__)

MAX_WINDOW_HOURS = 366 * 24
MAX_EMAILS = 20
EVALUATIONS_KEPT_DAYS = 90
RULE_FIELDS = (
    "name",
    "metric",
    "comparison",
    "threshold",
    "clear_threshold",
    "window_hours",
    "min_sample",
    "touchpoint",
    "channel",
    "category",
    "team",
    "is_active",
    "evaluate_every_minutes",
    "notify_emails",
    "webhook_url",
    "webhook_secret",
    "owner",
    "calendar",
)


class DuplicateName(CloseloopError):
    """Another alert rule already has this name."""

    code = "duplicate_name"
    http_status = 409


class RuleHasAlerts(CloseloopError):
    """A rule with alerts is kept for their history."""

    code = "has_alerts"
    http_status = 409


def rule_scope(rule: AlertRule) -> Scope:
    """The scope a rule measures."""
    return Scope(
        touchpoint=rule.touchpoint,
        channel=rule.channel,
        category_id=rule.category_id,
        team_id=rule.team_id,
    )


def _invalid(message: str, field: str) -> InvalidInput:
    return InvalidInput(message, details={"field": field})


def _validate(values: dict[str, Any], *, rule_id: int | None) -> None:
    """Refuse a rule that cannot be evaluated sensibly; each error names its field."""
    name = str(values["name"]).strip()
    if not name:
        raise _invalid(_("Give the rule a name."), "name")
    others = AlertRule.objects.filter(name=name)
    if rule_id is not None:
        others = others.exclude(pk=rule_id)
    if others.exists():
        raise DuplicateName(
            _("An alert rule named %(name)s exists already.") % {"name": name},
            details={"field": "name"},
        )
    values["name"] = name
    definition = metric_get(values["metric"])
    if values["comparison"] not in Comparison.values:
        raise _invalid(_("Choose above or below."), "comparison")
    threshold, clear = float(values["threshold"]), float(values["clear_threshold"])
    if values["comparison"] == Comparison.ABOVE and clear > threshold:
        raise _invalid(
            _("A rule firing above %(threshold)s must clear at or below it.")
            % {"threshold": threshold},
            "clear_threshold",
        )
    if values["comparison"] == Comparison.BELOW and clear < threshold:
        raise _invalid(
            _("A rule firing below %(threshold)s must clear at or above it.")
            % {"threshold": threshold},
            "clear_threshold",
        )
    if not 1 <= int(values["window_hours"]) <= MAX_WINDOW_HOURS:
        raise _invalid(_("The window is 1 hour to 366 days."), "window_hours")
    if int(values["min_sample"]) < 1:
        raise _invalid(_("The minimum sample is at least 1."), "min_sample")
    if int(values["evaluate_every_minutes"]) < 1:
        raise _invalid(_("Evaluate at least every minute."), "evaluate_every_minutes")
    if values["touchpoint"] and values["touchpoint"] not in Touchpoint.values:
        raise _invalid(_("Unknown touchpoint."), "touchpoint")
    if values["channel"] and values["channel"] not in Channel.values:
        raise _invalid(_("Unknown channel."), "channel")
    scope = Scope(
        touchpoint=values["touchpoint"],
        channel=values["channel"],
        category_id=values["category"].pk if values["category"] else None,
        team_id=values["team"].pk if values["team"] else None,
    )
    scope_check(definition, scope)
    emails = [str(address).strip() for address in values["notify_emails"] or []]
    emails = [address for address in emails if address]
    if len(emails) > MAX_EMAILS:
        raise _invalid(_("At most 20 email addresses."), "notify_emails")
    for address in emails:
        try:
            EmailValidator()(address)
        except ValidationError:
            raise _invalid(
                _("%(address)s is not an email address.") % {"address": address},
                "notify_emails",
            ) from None
    values["notify_emails"] = list(dict.fromkeys(emails))
    if values["webhook_url"]:
        try:
            URLValidator(schemes=["http", "https"])(values["webhook_url"])
        except ValidationError:
            raise _invalid(_("Enter an http or https URL."), "webhook_url") from None
        if not values["webhook_secret"]:
            raise _invalid(_("A webhook needs a secret to sign with."), "webhook_secret")


@transaction.atomic
def alert_rule_create(
    *,
    actor: Agent | None,
    name: str,
    metric: str,
    comparison: str,
    threshold: float,
    clear_threshold: float,
    window_hours: int = 7 * 24,
    min_sample: int = 30,
    touchpoint: str = "",
    channel: str = "",
    category: Category | None = None,
    team: Team | None = None,
    is_active: bool = True,
    evaluate_every_minutes: int = 15,
    notify_emails: list[str] | None = None,
    webhook_url: str = "",
    webhook_secret: str = "",
    owner: Agent | None = None,
    calendar: Calendar | None = None,
) -> AlertRule:
    """Create an alert rule after checking it (InvalidInput naming the field if not)."""
    values: dict[str, Any] = {
        "name": name,
        "metric": metric,
        "comparison": comparison,
        "threshold": threshold,
        "clear_threshold": clear_threshold,
        "window_hours": window_hours,
        "min_sample": min_sample,
        "touchpoint": touchpoint,
        "channel": channel,
        "category": category,
        "team": team,
        "is_active": is_active,
        "evaluate_every_minutes": evaluate_every_minutes,
        "notify_emails": notify_emails or [],
        "webhook_url": webhook_url,
        "webhook_secret": webhook_secret,
        "owner": owner,
        "calendar": calendar,
    }
    _validate(values, rule_id=None)
    now = clock.now()
    rule = AlertRule(**values, created_at=now, updated_at=now, next_evaluation_at=now)
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError:
        raise DuplicateName(
            _("An alert rule named %(name)s exists already.") % {"name": values["name"]},
            details={"field": "name"},
        ) from None
    logger.info("alert rule %s created by %s", rule.pk, actor)
    return rule


@transaction.atomic
def alert_rule_update(*, rule: AlertRule, actor: Agent | None, **changes: Any) -> AlertRule:
    """Change a rule; a change of what it measures makes it due for evaluation now."""
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise _invalid(_("Unknown field %(field)s.") % {"field": sorted(unknown)[0]}, "fields")
    locked = AlertRule.objects.select_for_update().get(pk=rule.pk)
    values = {name: getattr(locked, name) for name in RULE_FIELDS}
    values.update(changes)
    _validate(values, rule_id=locked.pk)
    for name, value in values.items():
        setattr(locked, name, value)
    locked.updated_at = clock.now()
    locked.next_evaluation_at = locked.updated_at
    locked.save()
    logger.info("alert rule %s changed by %s: %s", locked.pk, actor, sorted(changes))
    return locked


@transaction.atomic
def alert_rule_delete(*, rule: AlertRule, actor: Agent | None) -> None:
    """Delete a rule that never fired; one with alerts is deactivated instead (history stays)."""
    if Alert.objects.filter(rule=rule).exists():
        raise RuleHasAlerts(
            _("This rule has alerts; deactivate it instead."), details={"field": "is_active"}
        )
    logger.info("alert rule %s deleted by %s", rule.pk, actor)
    rule.delete()


# --- evaluation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluationResult:
    """What one evaluation found and did."""

    evaluation: AlertEvaluation
    alert: Alert | None


def alert_rule_evaluate(*, rule: AlertRule, now: datetime | None = None) -> EvaluationResult:
    """Measure the rule's metric over its window ending now, record it, fire or clear."""
    now = now or clock.now()
    definition = metric_get(rule.metric)
    start = now - timedelta(hours=rule.window_hours)
    with measuring():
        measurement = definition.measure(rule_scope(rule), start, now)
    with transaction.atomic():
        open_alert = Alert.objects.filter(rule=rule, status=AlertStatus.FIRING).first()
        value = measurement.value
        alert = open_alert
        if value is None or measurement.sample < rule.min_sample:
            outcome = EvaluationOutcome.INSUFFICIENT
            state = RuleState.INSUFFICIENT
        elif open_alert is not None:
            if rule.recovered(value) and _clear(open_alert, value=value, now=now):
                outcome, state = EvaluationOutcome.CLEARED, RuleState.OK
            else:
                Alert.objects.filter(pk=open_alert.pk).update(last_value=value)
                outcome, state = EvaluationOutcome.STILL_FIRING, RuleState.FIRING
        elif rule.breaches(value):
            alert = _fire(rule, value=value, sample=measurement.sample, now=now)
            outcome, state = EvaluationOutcome.FIRED, RuleState.FIRING
        else:
            outcome, state = EvaluationOutcome.OK, RuleState.OK
        if outcome == EvaluationOutcome.INSUFFICIENT and open_alert is not None:
            state = RuleState.FIRING  # still open: nothing is known to have changed
        evaluation = AlertEvaluation.objects.create(
            rule=rule,
            evaluated_at=now,
            window_start=start,
            value=value,
            numerator=measurement.numerator,
            sample=measurement.sample,
            outcome=outcome,
            alert=alert,
        )
        AlertRule.objects.filter(pk=rule.pk).update(
            state=state, last_value=value, last_sample=measurement.sample, last_evaluated_at=now
        )
    return EvaluationResult(evaluation=evaluation, alert=alert)


def _fire(rule: AlertRule, *, value: float, sample: int, now: datetime) -> Alert | None:
    """Open the rule's alert and its corrective action, and queue the notifications."""
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                rule=rule,
                metric=rule.metric,
                scope=rule_scope(rule).as_dict(),
                threshold=rule.threshold,
                fired_at=now,
                fired_value=value,
                fired_sample=sample,
                last_value=value,
            )
    except IntegrityError:
        # Another worker fired it a moment ago: fired once.
        return Alert.objects.filter(rule=rule, status=AlertStatus.FIRING).first()
    corrective_action_open_for_alert(alert=alert, rule=rule, now=now)
    notifications_create(alert=alert, rule=rule, event=AlertStatus.FIRING, now=now)
    logger.warning("alert %s fired: %s = %s", alert.pk, rule.metric, value)
    return alert


def _clear(alert: Alert, *, value: float, now: datetime) -> bool:
    """Clear a firing alert (guarded: only one evaluation clears it); queue notifications."""
    cleared = Alert.objects.filter(pk=alert.pk, status=AlertStatus.FIRING).update(
        status=AlertStatus.CLEARED, cleared_at=now, cleared_value=value, last_value=value
    )
    if not cleared:
        return False
    alert.refresh_from_db()
    notifications_create(alert=alert, rule=alert.rule, event=AlertStatus.CLEARED, now=now)
    logger.info("alert %s cleared: %s", alert.pk, value)
    return True


def alert_rules_claim_due(*, now: datetime, limit: int = 500) -> list[AlertRule]:
    """Claim the active rules due for evaluation, each by a guarded update of its due time, so
    a rule claimed by another worker is skipped."""
    due = (
        AlertRule.objects.filter(is_active=True)
        .filter(Q(next_evaluation_at__isnull=True) | Q(next_evaluation_at__lte=now))
        .order_by("next_evaluation_at", "pk")[:limit]
    )
    claimed = []
    for rule in due:
        guard = (
            Q(next_evaluation_at__isnull=True)
            if rule.next_evaluation_at is None
            else Q(next_evaluation_at=rule.next_evaluation_at)
        )
        following = now + timedelta(minutes=rule.evaluate_every_minutes)
        if AlertRule.objects.filter(guard, pk=rule.pk).update(next_evaluation_at=following):
            rule.next_evaluation_at = following
            claimed.append(rule)
    return claimed


def alerts_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Evaluate every due rule; one rule's failure is logged and does not stop the others."""
    now = now or clock.now()
    counts = {"evaluated": 0, "fired": 0, "cleared": 0, "failed": 0}
    for rule in alert_rules_claim_due(now=now):
        try:
            result = alert_rule_evaluate(rule=rule, now=now)
        except Exception:
            logger.exception("alert rule %s could not be evaluated", rule.pk)
            counts["failed"] += 1
            continue
        counts["evaluated"] += 1
        if result.evaluation.outcome == EvaluationOutcome.FIRED:
            counts["fired"] += 1
        elif result.evaluation.outcome == EvaluationOutcome.CLEARED:
            counts["cleared"] += 1
    AlertEvaluation.objects.filter(
        evaluated_at__lt=now - timedelta(days=EVALUATIONS_KEPT_DAYS)
    ).delete()
    return counts
