"""The alert pages under /agent/analytics/alerts/: alerts, rules, corrective actions. For team
leads and administrators (``lead_view``); other agents get 403. Views parse the form, call one
service and render; a refused change comes back beside its field."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from closeloop.analytics import actions, services
from closeloop.analytics.forms import AlertRuleForm, CorrectiveActionForm, attach_error
from closeloop.analytics.metrics import metric_get
from closeloop.analytics.models import ActionStatus, AlertStatus, CorrectiveAction
from closeloop.analytics.selectors import (
    actions_listed,
    alert_evaluations,
    alerts_listed,
    rules_listed,
)
from closeloop.core import clock
from closeloop.core.errors import CloseloopError
from closeloop.workspace.access import Requester
from closeloop.workspace.views.lead import lead_view

LIST_LIMIT = 100
TRANSITION_LABELS = {
    ActionStatus.MEASURES_SET: gettext_lazy("Measures are set"),
    ActionStatus.EFFECT_CHECK_DUE: gettext_lazy("Check the effect now"),
    ActionStatus.EFFECTIVE: gettext_lazy("Effective"),
    ActionStatus.NOT_EFFECTIVE: gettext_lazy("Not effective"),
    ActionStatus.OPEN: gettext_lazy("Back to analysis"),
    ActionStatus.CLOSED: gettext_lazy("Close"),
}


def _metric_label(key: str) -> str:
    try:
        return str(metric_get(key).label)
    except CloseloopError:
        return key


@require_GET
@lead_view
def alerts_page(request: HttpRequest, requester: Requester, team_ids: list[int]) -> HttpResponse:
    """Firing alerts first, then the latest cleared ones."""
    alerts = list(alerts_listed()[:LIST_LIMIT])
    for alert in alerts:
        alert.metric_label = _metric_label(alert.metric)  # type: ignore[attr-defined]
    return render(
        request,
        "analytics/alerts.html",
        {
            "firing": [a for a in alerts if a.status == AlertStatus.FIRING],
            "cleared": [a for a in alerts if a.status == AlertStatus.CLEARED],
        },
    )


@require_GET
@lead_view
def alert_page(
    request: HttpRequest, requester: Requester, team_ids: list[int], alert_id: int
) -> HttpResponse:
    """One alert: its values, its evaluations, its corrective action."""
    alert = alerts_listed().filter(pk=alert_id).first()
    if alert is None:
        raise Http404
    return render(
        request,
        "analytics/alert.html",
        {
            "alert": alert,
            "metric_label": _metric_label(alert.metric),
            "evaluations": alert_evaluations(alert),
            "action": getattr(alert, "corrective_action", None),
        },
    )


@require_GET
@lead_view
def rules_page(request: HttpRequest, requester: Requester, team_ids: list[int]) -> HttpResponse:
    """Every rule, its state and last value."""
    rules = list(rules_listed())
    for rule in rules:
        rule.metric_label = _metric_label(rule.metric)  # type: ignore[attr-defined]
    return render(request, "analytics/rules.html", {"rules": rules})


@require_http_methods(["GET", "POST"])
@lead_view
def rule_page(
    request: HttpRequest, requester: Requester, team_ids: list[int], rule_id: int | None = None
) -> HttpResponse:
    """Create a rule, or change one."""
    rule = None
    if rule_id is not None:
        rule = rules_listed().filter(pk=rule_id).first()
        if rule is None:
            raise Http404
    if request.method == "POST":
        form = AlertRuleForm(request.POST)
        if form.is_valid():
            values = form.service_values(keep_secret=rule.webhook_secret if rule else "")
            try:
                with transaction.atomic():
                    if rule is None:
                        rule = services.alert_rule_create(actor=requester.agent, **values)
                    else:
                        services.alert_rule_update(rule=rule, actor=requester.agent, **values)
            except CloseloopError as error:
                attach_error(form, error)
            else:
                return redirect("analytics:alerts-rules")
        status = 400
    else:
        form = AlertRuleForm(initial=AlertRuleForm.initial_for(rule) if rule else None)
        status = 200
    return render(request, "analytics/rule_form.html", {"form": form, "rule": rule}, status=status)


@require_GET
@lead_view
def actions_page(request: HttpRequest, requester: Requester, team_ids: list[int]) -> HttpResponse:
    """Corrective actions, overdue first."""
    now = clock.now()
    listed = list(actions_listed(now=now)[:LIST_LIMIT])
    for action in listed:
        action.overdue = action.is_overdue(now)  # type: ignore[attr-defined]
    return render(request, "analytics/actions.html", {"actions": listed})


def _action(action_id: int) -> CorrectiveAction:
    action = CorrectiveAction.objects.select_related("owner", "alert__rule").filter(pk=action_id)
    found = action.first()
    if found is None:
        raise Http404
    return found


def _action_context(action: CorrectiveAction, form: CorrectiveActionForm) -> dict[str, Any]:
    return {
        "action": action,
        "form": form,
        "is_overdue": action.is_overdue(clock.now()),
        "metric_label": _metric_label(action.metric) if action.metric else "",
        "is_editable": action.status in actions.EDITABLE,
        "transitions": [
            (status, TRANSITION_LABELS[ActionStatus(status)])
            for status in sorted(actions.ALLOWED[action.status])
        ],
    }


@require_http_methods(["GET", "POST"])
@lead_view
def action_page(
    request: HttpRequest, requester: Requester, team_ids: list[int], action_id: int
) -> HttpResponse:
    """A corrective action: the analysis form, the transitions, the effect result."""
    action = _action(action_id)
    if request.method == "POST":
        form = CorrectiveActionForm(request.POST)
        if form.is_valid():
            try:
                actions.corrective_action_update(
                    action=action, actor=requester.agent, **form.cleaned_data
                )
            except CloseloopError as error:
                attach_error(form, error)
            else:
                return redirect("analytics:alerts-action", action_id=action.pk)
        return render(request, "analytics/action.html", _action_context(action, form), status=400)
    form = CorrectiveActionForm(initial=CorrectiveActionForm.initial_for(action))
    return render(request, "analytics/action.html", _action_context(action, form))


@require_POST
@lead_view
def action_transition(
    request: HttpRequest, requester: Requester, team_ids: list[int], action_id: int
) -> HttpResponse:
    """Move an action on; a refusal shows on the action's page."""
    action = _action(action_id)
    target = request.POST.get("to", "")
    try:
        if target == ActionStatus.EFFECT_CHECK_DUE:
            actions.corrective_action_check_effect(action=action)
        else:
            actions.corrective_action_transition(
                action=action, actor=requester.agent, to=target, note=request.POST.get("note", "")
            )
    except CloseloopError as error:
        form = CorrectiveActionForm(initial=CorrectiveActionForm.initial_for(action))
        context = {**_action_context(action, form), "transition_error": error.message}
        return render(request, "analytics/action.html", context, status=error.http_status)
    return redirect("analytics:alerts-action", action_id=action.pk)
