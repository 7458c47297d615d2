"""Alert rules on synthetic metric series: firing once, staying de-duplicated, clearing with
hysteresis, the minimum sample, scope, the sweep's throttle, and rule validation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from closeloop.analytics.models import (
    Alert,
    AlertEvaluation,
    AlertRule,
    AlertStatus,
    CorrectiveAction,
    EvaluationOutcome,
    RuleState,
)
from closeloop.analytics.services import (
    DuplicateName,
    RuleHasAlerts,
    alert_rule_delete,
    alert_rule_evaluate,
    alert_rule_update,
    alerts_sweep,
)
from closeloop.analytics.tests.factories import at, rule, ticket
from closeloop.core import clock
from closeloop.core.errors import InvalidInput
from closeloop.people.tests.factories import AgentFactory, TeamFactory, member
from closeloop.tickets.tests.factories import make_ticket


def tickets(count: int, *, kind: str = "inquiry", hour: float = 1, **fields: object) -> None:
    for _ in range(count):
        ticket(created=at(hour), kind=kind, touchpoint="after_sale", **fields)


def evaluate(watched: AlertRule, hour: float):  # noqa: ANN201
    watched.refresh_from_db()
    return alert_rule_evaluate(rule=watched, now=at(hour))


@pytest.mark.django_db
def test_fires_once_stays_deduplicated_and_clears_with_hysteresis() -> None:
    # complaint rate at after-sale, fire > 10 %, clear < 8 %, 24 h window, ≥ 10 contacts.
    watched = rule(touchpoint="after_sale", threshold=10, clear_threshold=8)
    tickets(9)
    tickets(1, kind="complaint")
    assert evaluate(watched, 2).evaluation.outcome == EvaluationOutcome.OK  # 1/10 = 10 %: not above
    tickets(1, kind="complaint", hour=2)
    fired = evaluate(watched, 3)  # 2/11 = 18.2 %
    assert fired.evaluation.outcome == EvaluationOutcome.FIRED
    assert fired.alert is not None
    assert fired.alert.fired_value == pytest.approx(200 / 11)
    assert evaluate(watched, 4).evaluation.outcome == EvaluationOutcome.STILL_FIRING
    tickets(9, hour=4)  # 2/20 = 10 %: below the threshold but not below the clear threshold
    still = evaluate(watched, 5)
    assert still.evaluation.outcome == EvaluationOutcome.STILL_FIRING
    assert Alert.objects.filter(rule=watched).count() == 1
    tickets(6, hour=5)  # 2/26 = 7.7 % < 8 %: clears
    cleared = evaluate(watched, 6)
    assert cleared.evaluation.outcome == EvaluationOutcome.CLEARED
    alert = Alert.objects.get(rule=watched)
    assert alert.status == AlertStatus.CLEARED
    assert alert.cleared_at == at(6)
    assert alert.cleared_value == pytest.approx(200 / 26)
    watched.refresh_from_db()
    assert watched.state == RuleState.OK
    assert watched.last_value == pytest.approx(200 / 26)
    # Past the threshold again: a second episode, a second alert and action.
    tickets(4, kind="complaint", hour=6)  # 6/30 = 20 %
    assert evaluate(watched, 7).evaluation.outcome == EvaluationOutcome.FIRED
    assert Alert.objects.filter(rule=watched).count() == 2
    assert CorrectiveAction.objects.filter(alert__rule=watched).count() == 2
    assert list(
        AlertEvaluation.objects.filter(rule=watched)
        .order_by("evaluated_at")
        .values_list("outcome", flat=True)
    ) == ["ok", "fired", "firing", "firing", "cleared", "fired"]


@pytest.mark.django_db
def test_below_rule_fires_under_threshold_and_clears_above_clear_threshold() -> None:
    # FCR below 50 fires, clears above 60: resolved tickets with one reply count.
    watched = rule(
        metric="first_contact_resolution",
        comparison="below",
        threshold=50,
        clear_threshold=60,
        min_sample=4,
    )
    for count in (1, 2, 2, 2):  # 1 of 4 first-contact → 25 %
        ticket(created=at(0), status="resolved", resolved_at=at(1), public_agent_reply_count=count)
    assert evaluate(watched, 2).evaluation.outcome == EvaluationOutcome.FIRED
    for _ in range(4):  # 5 of 8 → 62.5 %
        ticket(created=at(0), status="resolved", resolved_at=at(2), public_agent_reply_count=1)
    assert evaluate(watched, 3).evaluation.outcome == EvaluationOutcome.CLEARED


@pytest.mark.django_db
def test_minimum_sample_neither_fires_nor_clears() -> None:
    watched = rule(touchpoint="after_sale", min_sample=10)
    tickets(5, kind="complaint")  # 100 % of 5 contacts: too few
    result = evaluate(watched, 2)
    assert result.evaluation.outcome == EvaluationOutcome.INSUFFICIENT
    assert result.evaluation.sample == 5
    assert not Alert.objects.exists()
    watched.refresh_from_db()
    assert watched.state == RuleState.INSUFFICIENT
    # Firing, then the window empties below the minimum: the alert stays open.
    tickets(10, kind="complaint", hour=3)
    assert evaluate(watched, 4).evaluation.outcome == EvaluationOutcome.FIRED
    later = evaluate(watched, 40)  # the 24 h window is empty now
    assert later.evaluation.outcome == EvaluationOutcome.INSUFFICIENT
    assert Alert.objects.get().status == AlertStatus.FIRING
    watched.refresh_from_db()
    assert watched.state == RuleState.FIRING


@pytest.mark.django_db
def test_scope_limits_what_the_rule_sees() -> None:
    team, other = TeamFactory(), TeamFactory()
    watched = rule(team=team, min_sample=5)
    for _ in range(5):
        ticket(created=at(1), team=team)
        ticket(created=at(1), team=other, kind="complaint")  # another team's complaints
    result = evaluate(watched, 2)
    assert (result.evaluation.value, result.evaluation.sample) == (0.0, 5)
    assert result.evaluation.outcome == EvaluationOutcome.OK


@pytest.mark.django_db
def test_one_open_alert_per_rule_is_enforced_by_the_database() -> None:
    watched = rule()
    tickets(10, kind="complaint")
    evaluate(watched, 2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(
            rule=watched,
            metric="complaint_rate",
            threshold=10,
            fired_at=at(3),
            fired_value=50,
            fired_sample=10,
            last_value=50,
        )


@pytest.mark.django_db
def test_sweep_evaluates_due_rules_once_per_interval_on_tickets_written_by_services() -> None:
    AlertRule.objects.update(is_active=False)  # the default rules stay out of it
    with clock.frozen_at(at(0)):
        watched = rule(touchpoint="after_sale", min_sample=10, evaluate_every_minutes=30)
        inactive = rule(is_active=False)
    with clock.frozen_at(at(1)):
        for index in range(10):
            make_ticket(kind="complaint" if index < 3 else "inquiry", touchpoint="after_sale")
    with clock.frozen_at(at(2)):
        assert alerts_sweep() == {"evaluated": 1, "fired": 1, "cleared": 0, "failed": 0}
        # Evaluated already: the next sweep in the same half hour does nothing.
        assert alerts_sweep()["evaluated"] == 0
    assert alerts_sweep(now=at(2) + timedelta(minutes=29))["evaluated"] == 0
    assert alerts_sweep(now=at(2) + timedelta(minutes=30))["evaluated"] == 1
    assert Alert.objects.filter(rule=watched).count() == 1
    alerts_sweep(now=at(5))
    assert not AlertEvaluation.objects.filter(rule=inactive).exists()


@pytest.mark.django_db
def test_corrective_action_opened_with_the_team_lead_as_owner() -> None:
    team = TeamFactory()
    lead = AgentFactory()
    member(lead, team, role="lead")
    watched = rule(team=team)
    tickets(10, kind="complaint", team=team)
    alert = evaluate(watched, 2).alert
    action = CorrectiveAction.objects.get(alert=alert)
    assert action.owner == lead
    assert action.status == "open"
    assert action.due_at == at(2) + timedelta(hours=48)
    assert action.metric == "complaint_rate"
    assert action.scope == {"team_id": team.pk}
    # A rule's own owner comes before the team lead.
    owner = AgentFactory()
    second = alert_rule_update(rule=rule(team=team), actor=None, owner=owner)
    assert CorrectiveAction.objects.get(alert=evaluate(second, 2).alert).owner == owner


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"metric": "happiness"}, "metric"),
        ({"comparison": "sideways"}, "comparison"),
        ({"threshold": 10, "clear_threshold": 12}, "clear_threshold"),
        ({"comparison": "below", "threshold": 85, "clear_threshold": 80}, "clear_threshold"),
        ({"window_hours": 0}, "window_hours"),
        ({"min_sample": 0}, "min_sample"),
        ({"touchpoint": "moon"}, "touchpoint"),
        ({"metric": "bot_share", "touchpoint": "after_sale"}, "touchpoint"),
        ({"notify_emails": ["not-an-address"]}, "notify_emails"),
        ({"webhook_url": "ftp://example.com/x", "webhook_secret": "s"}, "webhook_url"),
        ({"webhook_url": "https://example.com/x"}, "webhook_secret"),
        ({"name": "  "}, "name"),
    ],
)
def test_invalid_rules_are_refused_naming_the_field(changes: dict, field: str) -> None:
    before = AlertRule.objects.count()
    with pytest.raises(InvalidInput) as refused:
        rule(**changes)
    assert refused.value.details["field"] == field
    assert AlertRule.objects.count() == before


@pytest.mark.django_db
def test_duplicate_names_and_deleting_a_rule_with_history() -> None:
    first = rule(name="Complaints")
    with pytest.raises(DuplicateName):
        rule(name="Complaints")
    tickets(10, kind="complaint")
    evaluate(first, 2)
    with pytest.raises(RuleHasAlerts):
        alert_rule_delete(rule=first, actor=None)
    quiet = rule(name="Quiet")
    alert_rule_delete(rule=quiet, actor=None)
    assert not AlertRule.objects.filter(name="Quiet").exists()


@pytest.mark.django_db
def test_default_rules_from_the_migration() -> None:
    rules = {r.metric: r for r in AlertRule.objects.filter(name__contains="%")}
    assert rules["complaint_rate"].touchpoint == "after_sale"
    assert (rules["complaint_rate"].threshold, rules["complaint_rate"].min_sample) == (10, 30)
    assert (rules["csat"].comparison, rules["csat"].threshold) == ("below", 85)
    assert (rules["sla_breach_rate"].threshold, rules["sla_breach_rate"].min_sample) == (2, 50)
    assert all(r.window_hours == 168 and r.is_active for r in rules.values())


@pytest.mark.django_db
def test_the_sweep_is_registered_and_its_task_runs_every_part() -> None:
    from closeloop.analytics.tasks import alerts_sweep_task
    from closeloop.core import schedule

    assert schedule._registry["analytics.alerts_sweep"] is alerts_sweep_task
    counts = alerts_sweep_task.call()
    assert set(counts) == {
        "evaluated",
        "fired",
        "cleared",
        "failed",
        "effect_checks",
        "notifications_retried",
    }
    assert counts["evaluated"] == 3  # the default rules, due since the migration
    assert counts["failed"] == 0
