"""Corrective actions: opened when an alert fires (or by hand), analysed, measured, checked.

Status flow (``ALLOWED``): open → measures set → effect check due → effective / not
effective → closed. Measures need a root cause; an ineffective action gets new measures.
Every transition is a guarded update from the status that was read, so two people acting at
once cannot both move it; each is appended to the action's ``history``.

Due time: the cause and measures are due 48 hours after the alert on the rule's calendar.
On an around-the-clock calendar that is 48 hours to the minute; on a working-day calendar
(``cn-workdays``) it is close of business on the second working day after the day the alert
fired, so a Friday-evening alert is due on Tuesday evening and public holidays do not count.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from closeloop.analytics.flow import fields_change, history_add, status_move
from closeloop.analytics.metrics import Scope, measuring, metric_get
from closeloop.analytics.models import ActionStatus, Alert, CorrectiveAction, RootCause
from closeloop.core import clock
from closeloop.core.errors import ConcurrentChange, InvalidInput, InvalidTransition
from closeloop.people.models import Agent, TeamMembership, TeamRole
from closeloop.sla.calendar import BusinessCalendar, calendar_24x7
from closeloop.sla.models import Calendar
from closeloop.sla.policies import calendar_spec

if TYPE_CHECKING:
    from closeloop.analytics.models import AlertRule

DUE_HOURS = 48
DUE_WORKING_DAYS = 2

S = ActionStatus
ALLOWED: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({S.MEASURES_SET, S.CLOSED}),
    S.MEASURES_SET: frozenset({S.EFFECT_CHECK_DUE, S.OPEN, S.CLOSED}),
    S.EFFECT_CHECK_DUE: frozenset({S.EFFECTIVE, S.NOT_EFFECTIVE}),
    S.EFFECTIVE: frozenset({S.CLOSED}),
    S.NOT_EFFECTIVE: frozenset({S.MEASURES_SET, S.CLOSED}),
    S.CLOSED: frozenset(),
}
EDITABLE = frozenset({S.OPEN, S.MEASURES_SET, S.NOT_EFFECTIVE})


def business_calendar(row: Calendar | None) -> BusinessCalendar:
    """The business calendar of a calendar row (around the clock when there is none)."""
    if row is None:
        return calendar_24x7()
    return BusinessCalendar(calendar_spec(row, list(row.exceptions.all())))


def action_due_at(start: datetime, calendar: BusinessCalendar) -> datetime:
    """When the cause and measures are due (see the module docstring)."""
    if calendar.is_always_open:
        return calendar.add_minutes(start, DUE_HOURS * 60)
    return calendar.add_working_days(start, DUE_WORKING_DAYS)


def default_owner(rule: AlertRule) -> Agent | None:
    """The rule's owner, else the lead of its team."""
    if rule.owner_id is not None:
        return rule.owner
    if rule.team_id is None:
        return None
    membership = (
        TeamMembership.objects.filter(team_id=rule.team_id, role=TeamRole.LEAD)
        .select_related("agent")
        .order_by("pk")
        .first()
    )
    return membership.agent if membership else None


def corrective_action_open_for_alert(
    *, alert: Alert, rule: AlertRule, now: datetime
) -> CorrectiveAction:
    """Open the corrective action of a freshly fired alert (inside the firing transaction)."""
    definition = metric_get(rule.metric)
    action = CorrectiveAction(
        title=_("%(rule)s: %(metric)s %(value).1f")
        % {
            "rule": rule.name,
            "metric": definition.label,
            "value": alert.fired_value,
        },
        alert=alert,
        metric=rule.metric,
        scope=alert.scope,
        window_hours=rule.window_hours,
        owner=default_owner(rule),
        due_at=action_due_at(now, business_calendar(rule.calendar)),
        created_at=now,
        updated_at=now,
    )
    history_add(action, actor=None, now=now, to=S.OPEN, note="alert fired")
    action.save()
    return action


@transaction.atomic
def corrective_action_create(
    *,
    actor: Agent | None,
    title: str,
    owner: Agent | None = None,
    metric: str = "",
    scope: Scope | None = None,
    window_hours: int = 7 * 24,
    check_after_days: int = 14,
    calendar: Calendar | None = None,
    subject: Model | None = None,
) -> CorrectiveAction:
    """Open a corrective action by hand (for a problem, a complaint pattern …)."""
    title = title.strip()
    if not title:
        raise InvalidInput(_("Give the action a title."), details={"field": "title"})
    if metric:
        metric_get(metric)
    if not 1 <= window_hours <= 366 * 24:
        raise InvalidInput(
            _("The window is 1 hour to 366 days."), details={"field": "window_hours"}
        )
    if not 1 <= check_after_days <= 365:
        raise InvalidInput(
            _("Check the effect after 1 to 365 days."), details={"field": "check_after_days"}
        )
    now = clock.now()
    action = CorrectiveAction(
        title=title,
        owner=owner,
        metric=metric,
        scope=(scope or Scope()).as_dict(),
        window_hours=window_hours,
        check_after_days=check_after_days,
        due_at=action_due_at(now, business_calendar(calendar)),
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    if subject is not None:
        from django.contrib.contenttypes.models import ContentType

        action.subject_type = ContentType.objects.get_for_model(subject)
        action.subject_id = subject.pk
    history_add(action, actor=actor, now=now, to=S.OPEN)
    action.save()
    return action


@transaction.atomic
def corrective_action_update(
    *,
    action: CorrectiveAction,
    actor: Agent | None,
    **changes: Any,
) -> CorrectiveAction:
    """Change the analysis: title, owner, root cause, analysis, measures, check delay."""
    allowed = {"title", "owner", "root_cause", "analysis", "measures", "check_after_days"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(
            _("Unknown field %(field)s.") % {"field": sorted(unknown)[0]},
            details={"field": sorted(unknown)[0]},
        )
    locked = CorrectiveAction.objects.select_for_update().get(pk=action.pk)
    if locked.status not in EDITABLE:
        raise InvalidTransition(
            _("A corrective action that is %(status)s cannot be changed.")
            % {"status": locked.get_status_display()},
            details={"status": locked.status},
        )
    if "title" in changes and not str(changes["title"]).strip():
        raise InvalidInput(_("Give the action a title."), details={"field": "title"})
    if changes.get("root_cause") and changes["root_cause"] not in RootCause.values:
        raise InvalidInput(_("Unknown root cause."), details={"field": "root_cause"})
    if "check_after_days" in changes and not 1 <= int(changes["check_after_days"]) <= 365:
        raise InvalidInput(
            _("Check the effect after 1 to 365 days."), details={"field": "check_after_days"}
        )
    if locked.status != S.OPEN:
        # Measures set: the cause and the measures may be refined, never emptied.
        for field in ("root_cause", "measures"):
            if field in changes and not str(changes[field] or "").strip():
                raise InvalidInput(
                    _("Measures need a root cause and a description."),
                    details={"field": field},
                )
    fields_change(locked, changes, now=clock.now())
    return locked


@transaction.atomic
def corrective_action_transition(
    *, action: CorrectiveAction, actor: Agent | None, to: str, note: str = ""
) -> CorrectiveAction:
    """Move an action to ``to`` if ``ALLOWED`` from the status it was read in (guarded)."""
    if to not in S.values:
        raise InvalidInput(_("Unknown status."), details={"field": "status"})
    if to not in ALLOWED[action.status]:
        raise InvalidTransition(
            _("A corrective action cannot go from %(from)s to %(to)s.")
            % {"from": S(action.status).label, "to": S(to).label},
            details={"from": action.status, "to": to},
        )
    now = clock.now()
    fields: dict[str, Any] = {"status": to, "updated_at": now}
    if to == S.MEASURES_SET:
        if not action.root_cause or not action.measures.strip():
            raise InvalidInput(
                _("Record the root cause and the measures first."),
                details={"field": "root_cause" if not action.root_cause else "measures"},
            )
        fields["measures_set_at"] = now
        fields["effect_check_at"] = now + timedelta(days=action.check_after_days)
    if to == S.CLOSED:
        fields["closed_at"] = now
    history_add(action, actor=actor, now=now, **{"from": action.status, "to": to, "note": note})
    fields["history"] = action.history
    status_move(
        action, fields, conflict=_("Someone else changed this corrective action; reload it.")
    )
    return action


def corrective_action_check_effect(*, action: CorrectiveAction) -> CorrectiveAction:
    """Compare the metric over the window before the measures with the window before the
    check; record both and whether it improved. Without a metric, or with no value on either
    side, the action waits in "effect check due" for a person to judge."""
    if action.status == S.MEASURES_SET:
        action = corrective_action_transition(
            action=action, actor=None, to=S.EFFECT_CHECK_DUE, note="check due"
        )
    if action.status != S.EFFECT_CHECK_DUE or not action.metric:
        return action
    if action.measures_set_at is None or action.effect_check_at is None:
        return action
    definition = metric_get(action.metric)
    scope = Scope.from_dict(action.scope)
    window = timedelta(hours=action.window_hours)
    with measuring():
        before = definition.measure(scope, action.measures_set_at - window, action.measures_set_at)
        after = definition.measure(scope, action.effect_check_at - window, action.effect_check_at)
    improved = (
        definition.is_better(after.value, before.value)
        if before.value is not None and after.value is not None
        else None
    )
    with transaction.atomic():
        CorrectiveAction.objects.filter(pk=action.pk).update(
            value_before=before.value,
            sample_before=before.sample,
            value_after=after.value,
            sample_after=after.sample,
            is_improved=improved,
            effect_checked_at=clock.now(),
        )
        action.refresh_from_db()
        if improved is not None:
            action = corrective_action_transition(
                action=action,
                actor=None,
                to=S.EFFECTIVE if improved else S.NOT_EFFECTIVE,
                note="effect check",
            )
    return action


def corrective_actions_check_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Run the effect check of every action whose check time has come; return how many."""
    now = now or clock.now()
    due = CorrectiveAction.objects.filter(status=S.MEASURES_SET, effect_check_at__lte=now).order_by(
        "effect_check_at"
    )[:limit]
    checked = 0
    for action in due:
        try:
            corrective_action_check_effect(action=action)
        except ConcurrentChange:
            continue  # another worker took it
        checked += 1
    return checked
