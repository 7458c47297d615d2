"""The demo's alerts: the plan's three default rules (from the migration) plus two demo rules
measured on the demo's own tickets: one firing now, with its corrective action analysed
(root cause, measures set), and one that fired a few days ago and has cleared since.

Run after the demo's tickets and people exist (``demo_data.load_demo``). Thresholds are
placed from the demo's measured values, so the demo shows a firing and a cleared alert
whatever the random history holds; evaluation, firing, clearing and the action go through
the analytics services at back-dated instants.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from closeloop.analytics.actions import corrective_action_transition, corrective_action_update
from closeloop.analytics.metrics import Scope, metric_get
from closeloop.analytics.models import ActionStatus, AlertRule, CorrectiveAction
from closeloop.analytics.services import alert_rule_create, alert_rule_evaluate
from closeloop.core import clock
from closeloop.people.models import Agent, TeamMembership, TeamRole

FIRING_NAME = "After-sale complaints, 7 days (demo) / 售后投诉率（演示）"
CLEARED_NAME = "Ticket volume surge, 24 h (demo) / 工单量激增（演示）"
ANALYSIS = (
    "Most complaints are about late refunds after returns: the returns desk waits for the "
    "warehouse check before refunding.\n多数投诉是退货后退款慢：退货组要等仓库验货后才退款。"
)
MEASURES = (
    "Refund on the courier's pick-up scan for orders under 500 CNY; daily list of returns "
    "older than 3 days to the after-sales lead.\n500 元以下订单凭快递揽收扫描即退款；"
    "每天把超过 3 天的退货清单发给售后组长。"
)


def _after_sales_lead() -> Agent | None:
    membership = (
        TeamMembership.objects.filter(role=TeamRole.LEAD, team__code="after-sales")
        .select_related("agent")
        .first()
    ) or TeamMembership.objects.filter(role=TeamRole.LEAD).select_related("agent").first()
    return membership.agent if membership else None


def _firing(now: datetime, owner: Agent | None) -> CorrectiveAction | None:
    """A complaint-rate rule set just under today's value: it fires now."""
    for metric, scope in (
        ("complaint_rate", Scope(touchpoint="after_sale")),
        ("complaint_rate", Scope()),
        ("volume", Scope()),
    ):
        result = metric_get(metric).measure(scope, now - timedelta(days=7), now)
        if result.value is not None and result.value > 0:
            break
    else:
        return None
    threshold = round(result.value * 0.9, 1)
    rule = alert_rule_create(
        actor=owner,
        name=FIRING_NAME,
        metric=metric,
        comparison="above",
        threshold=threshold,
        clear_threshold=round(threshold * 0.8, 1),
        window_hours=7 * 24,
        min_sample=min(30, result.sample),
        touchpoint=scope.touchpoint,
        owner=owner,
    )
    alert = alert_rule_evaluate(rule=rule, now=now).alert
    if alert is None:
        return None
    action = CorrectiveAction.objects.get(alert=alert)
    action = corrective_action_update(
        action=action, actor=owner, root_cause="process_gap", analysis=ANALYSIS, measures=MEASURES
    )
    return corrective_action_transition(
        action=action, actor=owner, to=ActionStatus.MEASURES_SET, note="demo"
    )


def _cleared(now: datetime, owner: Agent | None) -> AlertRule | None:
    """A volume rule that fired on a busy day of the last two weeks and cleared on a quieter
    later one: the threshold lies between the two days' values."""
    volume = metric_get("volume")
    days = [now - timedelta(days=offset) for offset in range(14, 0, -1)]
    values = [
        (moment, volume.measure(Scope(), moment - timedelta(hours=24), moment).value or 0.0)
        for moment in days
    ]
    pairs = [
        (first, second)
        for index, first in enumerate(values)
        for second in values[index + 1 :]
        if first[1] - second[1] >= 2
    ]
    if not pairs:
        return None
    (fired_at, high), (cleared_at, low) = max(pairs, key=lambda pair: pair[0][1] - pair[1][1])
    threshold = (high + low) / 2
    with clock.frozen_at(fired_at - timedelta(minutes=5)):
        rule = alert_rule_create(
            actor=owner,
            name=CLEARED_NAME,
            metric="volume",
            comparison="above",
            threshold=threshold,
            clear_threshold=threshold,
            window_hours=24,
            min_sample=1,
            owner=owner,
        )
    alert = alert_rule_evaluate(rule=rule, now=fired_at).alert
    alert_rule_evaluate(rule=rule, now=cleared_at)
    if alert is not None:
        action = CorrectiveAction.objects.get(alert=alert)
        with clock.frozen_at(cleared_at):
            corrective_action_transition(
                action=action, actor=owner, to=ActionStatus.CLOSED, note="a one-day peak"
            )
    return rule


def install_demo_alerts() -> dict[str, Any]:
    """Add the two demo rules, their alerts and the corrective action; return what was made."""
    now = clock.now()
    owner = _after_sales_lead()
    action = _firing(now, owner)
    cleared = _cleared(now, owner)
    return {
        "default_rules": AlertRule.objects.exclude(name__in=[FIRING_NAME, CLEARED_NAME]).count(),
        "firing_action": action.pk if action else None,
        "cleared_rule": cleared.pk if cleared else None,
    }
