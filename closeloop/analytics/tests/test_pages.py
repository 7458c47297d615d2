"""The alert pages: who may open them, the lists, the rule form, the action form and
transitions (a refusal comes back beside its field, nothing written)."""

from __future__ import annotations

import pytest
from django.test import Client

from closeloop.analytics.models import ActionStatus, AlertRule, CorrectiveAction
from closeloop.analytics.services import alert_rule_evaluate
from closeloop.analytics.tests.factories import at, rule, ticket
from closeloop.analytics.tests.pages import assert_for_leads_only, signed_in
from closeloop.people.tests.factories import AgentFactory, UserFactory

PAGES = [
    "/agent/analytics/alerts/",
    "/agent/analytics/alerts/rules/",
    "/agent/analytics/alerts/rules/new/",
    "/agent/analytics/alerts/actions/",
]
RULE_FORM = {
    "name": "Slow first response",
    "metric": "first_response_median",
    "comparison": "above",
    "threshold": "60",
    "clear_threshold": "45",
    "window": "24",
    "window_unit": "hours",
    "min_sample": "20",
    "evaluate_every_minutes": "10",
    "notify_emails": "lead@shop.example, head@shop.example",
    "channel": "chat",
    "is_active": "on",
}


def fired_action() -> CorrectiveAction:
    watched = rule(name="Complaints after sale", touchpoint="after_sale")
    for _ in range(10):
        ticket(created=at(1), kind="complaint", touchpoint="after_sale")
    alert = alert_rule_evaluate(rule=watched, now=at(2)).alert
    return CorrectiveAction.objects.get(alert=alert)


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_leads_and_admins_open_the_pages_agents_do_not(path: str) -> None:
    assert_for_leads_only(path)


@pytest.mark.django_db
def test_alert_lists_show_firing_and_link_the_action(lead_client: Client) -> None:
    action = fired_action()
    page = lead_client.get("/agent/analytics/alerts/").content.decode()
    assert "Complaints after sale" in page
    assert f"/agent/analytics/alerts/actions/{action.pk}/" in page
    detail = lead_client.get(f"/agent/analytics/alerts/{action.alert_id}/").content.decode()
    assert "100.0" in detail
    assert "Fired" in detail
    rules = lead_client.get("/agent/analytics/alerts/rules/").content.decode()
    assert "Complaints after sale" in rules
    assert "7 days" in rules  # the default rules' window
    assert lead_client.get("/agent/analytics/alerts/999999/").status_code == 404


@pytest.mark.django_db
def test_rule_form_creates_and_edits_a_rule(lead_client: Client) -> None:
    created = lead_client.post("/agent/analytics/alerts/rules/new/", RULE_FORM)
    assert created.status_code == 302
    saved = AlertRule.objects.get(name="Slow first response")
    assert (saved.window_hours, saved.channel, saved.min_sample) == (24, "chat", 20)
    assert saved.notify_emails == ["lead@shop.example", "head@shop.example"]
    edited = lead_client.post(
        f"/agent/analytics/alerts/rules/{saved.pk}/",
        {**RULE_FORM, "window": "7", "window_unit": "days"},
    )
    assert edited.status_code == 302
    saved.refresh_from_db()
    assert saved.window_hours == 168
    form = lead_client.get(f"/agent/analytics/alerts/rules/{saved.pk}/").content.decode()
    assert 'value="Slow first response"' in form


@pytest.mark.django_db
def test_rule_form_shows_a_refusal_beside_its_field(lead_client: Client) -> None:
    refused = lead_client.post(
        "/agent/analytics/alerts/rules/new/", {**RULE_FORM, "clear_threshold": "70"}
    )
    assert refused.status_code == 400
    page = refused.content.decode()
    assert 'id="id_clear_threshold-error"' in page
    assert "must clear at or below it" in page
    assert not AlertRule.objects.filter(name="Slow first response").exists()
    scoped = lead_client.post(
        "/agent/analytics/alerts/rules/new/",
        {**RULE_FORM, "metric": "bot_share", "channel": "", "touchpoint": "after_sale"},
    )
    assert scoped.status_code == 400
    assert 'id="id_touchpoint-error"' in scoped.content.decode()


@pytest.mark.django_db
def test_action_form_and_transitions(lead_client: Client) -> None:
    action = fired_action()
    url = f"/agent/analytics/alerts/actions/{action.pk}/"
    refused = lead_client.post(f"{url}transition/", {"to": "measures_set"})
    assert refused.status_code == 400
    assert "Record the root cause and the measures first." in refused.content.decode()
    saved = lead_client.post(
        url,
        {
            "title": action.title,
            "root_cause": "training_gap",
            "analysis": "New agents unsure of the returns policy",
            "measures": "Returns training for the after-sale team",
            "check_after_days": "14",
        },
    )
    assert saved.status_code == 302
    moved = lead_client.post(f"{url}transition/", {"to": "measures_set", "note": "agreed"})
    assert moved.status_code == 302
    action.refresh_from_db()
    assert action.status == ActionStatus.MEASURES_SET
    assert action.root_cause == "training_gap"
    page = lead_client.get(url).content.decode()
    assert "Measures set" in page
    listed = lead_client.get("/agent/analytics/alerts/actions/").content.decode()
    assert action.title in listed


@pytest.mark.django_db
def test_overdue_actions_come_first_and_are_marked(lead_client: Client) -> None:
    action = fired_action()  # due at(2) + 48 h, long past today
    listed = lead_client.get("/agent/analytics/alerts/actions/").content.decode()
    assert f'data-action="{action.pk}" class="overdue"' in listed


@pytest.mark.django_db
def test_pages_render_in_chinese(lead_client: Client) -> None:
    fired_action()
    page = lead_client.get("/agent/analytics/alerts/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    assert '<html lang="zh-Hans">' in page.content.decode()


@pytest.mark.django_db
def test_the_header_links_alerts_for_leads_only(lead_client: Client) -> None:
    page = lead_client.get("/agent/analytics/alerts/rules/").content.decode()
    assert '<a href="/agent/analytics/alerts/" aria-current="page">Alerts</a>' in page
    inbox = signed_in(AgentFactory().user).get("/agent/").content.decode()
    assert "/agent/analytics/alerts/" not in inbox


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model", ["alertrule", "alert", "alertevaluation", "alertnotification", "correctiveaction"]
)
def test_admin_lists_are_read_only(model: str) -> None:
    fired_action()
    client = signed_in(UserFactory(is_superuser=True, is_staff=True))
    listed = client.get(f"/admin/analytics/{model}/")
    assert listed.status_code == 200
    assert client.get(f"/admin/analytics/{model}/add/").status_code == 403
