"""The analytics API (mounted in closeloop/api.py at /api/v1/analytics): metric definitions and
measurements, alert rules, alerts and corrective actions. For team leads and administrators;
other agents get 403. Each handler: validate input → load and authorise → one service → output.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field as SchemaField
from ninja import Query, Router, Schema, Status

from closeloop.analytics import actions, services
from closeloop.analytics.metrics import Scope, all_metrics, measuring, metric_get, scope_check
from closeloop.analytics.models import AlertRule, CorrectiveAction
from closeloop.analytics.schemas import (
    ActionCreateIn,
    ActionListOut,
    ActionOut,
    ActionPatch,
    AlertListOut,
    AlertOut,
    AlertRuleIn,
    AlertRuleListOut,
    AlertRuleOut,
    AlertRulePatch,
    EvaluationOut,
    MeasurementOut,
    MetricOut,
    TransitionIn,
    action_out,
    alert_out,
    evaluation_out,
    metric_out,
    rule_out,
)
from closeloop.analytics.selectors import (
    actions_listed,
    alert_evaluations,
    alerts_listed,
    rules_listed,
)
from closeloop.core import clock
from closeloop.core.errors import InvalidInput, NotFound, PermissionDenied
from closeloop.people.access import Requester, requester_for
from closeloop.people.models import Agent, Team
from closeloop.sla.models import Calendar
from closeloop.triage.models import Category
from closeloop.workspace.selectors import lead_team_ids

router = Router(tags=["analytics"])

MAX_LIST = 200
MAX_MEASURE_DAYS = 400


def lead_requester(request: HttpRequest) -> Requester:
    """The requester, if a team lead or an administrator; PermissionDenied otherwise."""
    requester = requester_for(request.user)
    if not requester.is_admin and not lead_team_ids(requester):
        raise PermissionDenied(_("This is for team leads and administrators."))
    return requester


def category_by_code(code: str | None) -> Category | None:
    """The category with ``code`` (None for none); 400 on ``category`` for an unknown code."""
    if not code:
        return None
    category = Category.objects.filter(code=code).first()
    if category is None:
        raise InvalidInput(
            _("%(code)s is not a category.") % {"code": code}, details={"field": "category"}
        )
    return category


def _team(team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise InvalidInput(
            _("No team with id %(id)s.") % {"id": team_id}, details={"field": "team_id"}
        )
    return team


def agent_by_id(agent_id: int | None, field: str = "owner_id") -> Agent | None:
    """The agent with ``agent_id`` (None for none); 400 on ``field`` for an unknown id."""
    if agent_id is None:
        return None
    agent = Agent.objects.filter(pk=agent_id).first()
    if agent is None:
        raise InvalidInput(
            _("No agent with id %(id)s.") % {"id": agent_id}, details={"field": field}
        )
    return agent


def _calendar(name: str | None) -> Calendar | None:
    if not name:
        return None
    calendar = Calendar.objects.filter(name=name).first()
    if calendar is None:
        raise InvalidInput(
            _("%(name)s is not a business calendar.") % {"name": name},
            details={"field": "calendar"},
        )
    return calendar


def _rule(rule_id: int) -> AlertRule:
    rule = rules_listed().filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(_("Alert rule %(id)s not found.") % {"id": rule_id})
    return rule


def _rule_out(rule: AlertRule) -> AlertRuleOut:
    return rule_out(rule, getattr(rule, "open_alert_id", None))


# --- metrics ----------------------------------------------------------------------------------


@router.get("/metrics", response=list[MetricOut], summary="Metric definitions")
def metric_list_view(request: HttpRequest) -> list[MetricOut]:
    requester_for(request.user)
    return [metric_out(definition) for definition in all_metrics()]


class MeasureQuery(Schema):
    metric: str = SchemaField(..., max_length=60)
    start: datetime
    end: datetime
    touchpoint: str = SchemaField("", max_length=20)
    channel: str = SchemaField("", max_length=20)
    category: str | None = SchemaField(None, max_length=80)
    team_id: int | None = None
    kind: str = SchemaField("", max_length=20)
    priority: str = SchemaField("", max_length=10)
    segment: str = SchemaField("", max_length=20)
    agent_id: int | None = None


@router.get("/measure", response=MeasurementOut, summary="Measure a metric over a period")
def measure_view(request: HttpRequest, query: Query[MeasureQuery]) -> MeasurementOut:
    lead_requester(request)
    if query.start.tzinfo is None or query.end.tzinfo is None:
        raise InvalidInput(_("Give times with a UTC offset."), details={"field": "start"})
    if not query.start < query.end <= query.start + timedelta(days=MAX_MEASURE_DAYS):
        raise InvalidInput(_("The period is 1 second to 400 days."), details={"field": "end"})
    category = category_by_code(query.category)
    scope = Scope(
        touchpoint=query.touchpoint,
        channel=query.channel,
        category_id=category.pk if category else None,
        team_id=query.team_id,
        kind=query.kind,
        priority=query.priority,
        segment=query.segment,
        agent_id=query.agent_id,
    )
    definition = metric_get(query.metric)
    scope_check(definition, scope)
    with measuring():
        result = definition.measure(scope, query.start, query.end)
    return MeasurementOut(
        metric=definition.key,
        start=query.start,
        end=query.end,
        scope=scope.as_dict(),
        value=result.value,
        numerator=result.numerator,
        sample=result.sample,
    )


# --- alert rules ------------------------------------------------------------------------------


def _rule_values(sent: dict[str, Any]) -> dict[str, Any]:
    """Turn API names (codes and ids) into the service's arguments."""
    values = dict(sent)
    if "category" in values:
        values["category"] = category_by_code(values["category"])
    if "team_id" in values:
        values["team"] = _team(values.pop("team_id"))
    if "owner_id" in values:
        values["owner"] = agent_by_id(values.pop("owner_id"))
    if "calendar" in values:
        values["calendar"] = _calendar(values["calendar"])
    for text in ("touchpoint", "channel", "webhook_url", "webhook_secret"):
        if text in values and values[text] is None:
            values[text] = ""
    return values


@router.get("/alert-rules", response=AlertRuleListOut, summary="Alert rules")
def rule_list_view(request: HttpRequest) -> AlertRuleListOut:
    lead_requester(request)
    rules = list(rules_listed()[:MAX_LIST])
    return AlertRuleListOut(items=[_rule_out(rule) for rule in rules], count=len(rules))


@router.post("/alert-rules", response={201: AlertRuleOut}, summary="Create an alert rule")
def rule_create_view(request: HttpRequest, payload: AlertRuleIn) -> Status[AlertRuleOut]:
    requester = lead_requester(request)
    rule = services.alert_rule_create(actor=requester.agent, **_rule_values(payload.model_dump()))
    return Status(201, _rule_out(_rule(rule.pk)))


@router.get("/alert-rules/{rule_id}", response=AlertRuleOut, summary="One alert rule")
def rule_view(request: HttpRequest, rule_id: int) -> AlertRuleOut:
    lead_requester(request)
    return _rule_out(_rule(rule_id))


@router.patch("/alert-rules/{rule_id}", response=AlertRuleOut, summary="Change an alert rule")
def rule_update_view(request: HttpRequest, rule_id: int, payload: AlertRulePatch) -> AlertRuleOut:
    requester = lead_requester(request)
    sent = payload.model_dump(exclude_unset=True)
    for required in ("name", "metric", "comparison", "threshold", "clear_threshold", "is_active"):
        if required in sent and sent[required] is None:
            raise InvalidInput(_("This field cannot be empty."), details={"field": required})
    services.alert_rule_update(rule=_rule(rule_id), actor=requester.agent, **_rule_values(sent))
    return _rule_out(_rule(rule_id))


@router.delete("/alert-rules/{rule_id}", response={204: None}, summary="Delete an unused rule")
def rule_delete_view(request: HttpRequest, rule_id: int) -> Status[None]:
    requester = lead_requester(request)
    services.alert_rule_delete(rule=_rule(rule_id), actor=requester.agent)
    return Status(204, None)


@router.post(
    "/alert-rules/{rule_id}/evaluate",
    response=EvaluationOut,
    summary="Evaluate a rule now (fires or clears as the sweep would)",
)
def rule_evaluate_view(request: HttpRequest, rule_id: int) -> EvaluationOut:
    lead_requester(request)
    result = services.alert_rule_evaluate(rule=_rule(rule_id))
    return evaluation_out(result.evaluation)


# --- alerts -----------------------------------------------------------------------------------


class AlertListQuery(Schema):
    status: str | None = SchemaField(None, pattern="^(firing|cleared)$")
    rule_id: int | None = None
    limit: int = SchemaField(50, ge=1, le=MAX_LIST)
    offset: int = SchemaField(0, ge=0)


@router.get("/alerts", response=AlertListOut, summary="Alerts, firing first")
def alert_list_view(request: HttpRequest, query: Query[AlertListQuery]) -> AlertListOut:
    lead_requester(request)
    alerts = alerts_listed(status=query.status, rule_id=query.rule_id)
    page = alerts[query.offset : query.offset + query.limit]
    return AlertListOut(items=[alert_out(alert) for alert in page], count=alerts.count())


@router.get("/alerts/{alert_id}", response=AlertOut, summary="One alert with its evaluations")
def alert_view(request: HttpRequest, alert_id: int) -> AlertOut:
    lead_requester(request)
    alert = alerts_listed().filter(pk=alert_id).first()
    if alert is None:
        raise NotFound(_("Alert %(id)s not found.") % {"id": alert_id})
    return alert_out(alert, alert_evaluations(alert))


# --- corrective actions -----------------------------------------------------------------------


def _action(action_id: int) -> CorrectiveAction:
    action = CorrectiveAction.objects.select_related("owner").filter(pk=action_id).first()
    if action is None:
        raise NotFound(_("Corrective action %(id)s not found.") % {"id": action_id})
    return action


class ActionListQuery(Schema):
    status: str | None = SchemaField(
        None, pattern="^(open|measures_set|effect_check_due|effective|not_effective|closed)$"
    )
    is_overdue: bool | None = None
    owner_id: int | None = None
    limit: int = SchemaField(50, ge=1, le=MAX_LIST)
    offset: int = SchemaField(0, ge=0)


@router.get(
    "/corrective-actions", response=ActionListOut, summary="Corrective actions, overdue first"
)
def action_list_view(request: HttpRequest, query: Query[ActionListQuery]) -> ActionListOut:
    lead_requester(request)
    listed = actions_listed(
        now=clock.now(), status=query.status, is_overdue=query.is_overdue, owner_id=query.owner_id
    )
    page = listed[query.offset : query.offset + query.limit]
    return ActionListOut(items=[action_out(action) for action in page], count=listed.count())


@router.post(
    "/corrective-actions", response={201: ActionOut}, summary="Open a corrective action by hand"
)
def action_create_view(request: HttpRequest, payload: ActionCreateIn) -> Status[ActionOut]:
    requester = lead_requester(request)
    category = category_by_code(payload.category)
    scope = Scope(
        touchpoint=payload.touchpoint,
        channel=payload.channel,
        category_id=category.pk if category else None,
        team_id=_team(payload.team_id).pk if payload.team_id is not None else None,  # type: ignore[union-attr]
    )
    if payload.metric:
        scope_check(metric_get(payload.metric), scope)
    action = actions.corrective_action_create(
        actor=requester.agent,
        title=payload.title,
        owner=agent_by_id(payload.owner_id),
        metric=payload.metric,
        scope=scope,
        window_hours=payload.window_hours,
        check_after_days=payload.check_after_days,
        calendar=_calendar(payload.calendar),
    )
    return Status(201, action_out(_action(action.pk)))


@router.get("/corrective-actions/{action_id}", response=ActionOut, summary="One action")
def action_view(request: HttpRequest, action_id: int) -> ActionOut:
    lead_requester(request)
    return action_out(_action(action_id))


@router.patch(
    "/corrective-actions/{action_id}",
    response=ActionOut,
    summary="Record the root cause, analysis and measures",
)
def action_update_view(request: HttpRequest, action_id: int, payload: ActionPatch) -> ActionOut:
    requester = lead_requester(request)
    changes = payload.model_dump(exclude_unset=True)
    if "owner_id" in changes:
        changes["owner"] = agent_by_id(changes.pop("owner_id"))
    for text in ("root_cause", "analysis", "measures"):
        if text in changes and changes[text] is None:
            changes[text] = ""
    if changes.get("title", "") is None or changes.get("check_after_days", 1) is None:
        raise InvalidInput(_("This field cannot be empty."), details={"field": "title"})
    actions.corrective_action_update(action=_action(action_id), actor=requester.agent, **changes)
    return action_out(_action(action_id))


@router.post(
    "/corrective-actions/{action_id}/transition",
    response=ActionOut,
    summary="Move an action on (measures set, closed …)",
)
def action_transition_view(
    request: HttpRequest, action_id: int, payload: TransitionIn
) -> ActionOut:
    requester = lead_requester(request)
    action = actions.corrective_action_transition(
        action=_action(action_id), actor=requester.agent, to=payload.to, note=payload.note
    )
    return action_out(_action(action.pk))


__all__ = ["router"]

# Problems and the monthly review (issue 8) live in their own module.
from closeloop.analytics.api_problems import review_router  # noqa: E402
from closeloop.analytics.api_problems import router as problems_router  # noqa: E402

router.add_router("/problems", problems_router)
router.add_router("/review", review_router)
