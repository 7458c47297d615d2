"""Dashboard numbers on a small hand-computed fixture (the week of T0, 2026-03-02 to 03-08,
against the week before as the baseline)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from closeloop.analytics import dashboard_sections as sections
from closeloop.analytics.dashboards import (
    baseline_of,
    bucket_of,
    overview_data,
    period_between,
    period_parse,
)
from closeloop.analytics.models_engine import BaselinePeriod
from closeloop.analytics.tests.factories import (
    T0,
    at,
    category,
    clock_row,
    response,
    survey,
    ticket,
)
from closeloop.core import clock
from closeloop.people.tests.factories import AgentFactory, TeamFactory, lead_of, member
from closeloop.triage.models import TicketTriage, TriageCorrection

WEEK = "from=2026-03-02&to=2026-03-08"
NOW = at(days=7)


@pytest.fixture
def week(db: Any) -> dict[str, Any]:
    """Four tickets in the week, one in the week before.

    t1 chat pre-sale inquiry: answered after 30 min, resolved after 120 min, one reply.
    t2 email after-sale complaint: answered after 60 min, resolved after 600 min, two replies.
    t3 email after-sale complaint: answered after 120 min, still open.
    t4 chat in-sale inquiry: new, unanswered.
    t0 (the week before) email after-sale inquiry: answered after 240 min.
    """
    team = TeamFactory(name="Care")
    alice = AgentFactory(display_name="Alice")
    member(alice, team)
    common = {"team": team, "assignee": alice}
    t1 = ticket(
        created=at(1),
        channel="chat",
        touchpoint="pre_sale",
        kind="inquiry",
        status="resolved",
        first_responded_at=at(1.5),
        resolved_at=at(3),
        public_agent_reply_count=1,
        **common,
    )
    t2 = ticket(
        created=at(2),
        channel="email",
        touchpoint="after_sale",
        kind="complaint",
        status="resolved",
        first_responded_at=at(3),
        resolved_at=at(12),
        public_agent_reply_count=2,
        **common,
    )
    t3 = ticket(
        created=at(days=1),
        channel="email",
        touchpoint="after_sale",
        kind="complaint",
        status="in_progress",
        first_responded_at=at(2, days=1),
        **common,
    )
    t4 = ticket(
        created=at(days=2), channel="chat", touchpoint="in_sale", kind="inquiry", status="new"
    )
    ticket(
        created=at(days=-3),
        channel="email",
        touchpoint="after_sale",
        kind="inquiry",
        status="in_progress",
        first_responded_at=at(4, days=-3),
    )
    return {"team": team, "alice": alice, "tickets": [t1, t2, t3, t4]}


def lead(team: Any) -> Client:
    client = Client()
    client.force_login(lead_of(team).user)
    return client


def test_period_presets_months_and_buckets() -> None:
    with clock.frozen_at(NOW):  # 2026-03-09 00:00 UTC
        last_week = period_parse({"period": "7"})
        march = period_parse({"month": "2026-02"})
    assert (last_week.first_day.isoformat(), last_week.last_day.isoformat()) == (
        "2026-03-03",
        "2026-03-09",
    )
    assert march.days == 28
    assert march.end - march.start == timedelta(days=28)
    # the trend's step: days up to 92 days, weeks up to 26, months beyond
    assert bucket_of(last_week) == "day"
    assert bucket_of(period_between(T0.date(), T0.date() + timedelta(days=89))) == "day"
    assert bucket_of(period_between(T0.date(), T0.date() + timedelta(days=119))) == "week"
    assert bucket_of(period_between(T0.date(), T0.date() + timedelta(days=364))) == "month"


@pytest.mark.django_db
def test_the_baseline_is_the_organisations_or_the_period_before() -> None:
    week = period_between(T0.date(), T0.date() + timedelta(days=6))
    before, is_organisation = baseline_of(week)
    assert not is_organisation
    assert (before.first_day.isoformat(), before.last_day.isoformat()) == (
        "2026-02-23",
        "2026-03-01",
    )
    BaselinePeriod.objects.create(
        start=T0.date().replace(month=1, day=1),
        end=T0.date().replace(month=1, day=31),
        updated_at=NOW,
    )
    chosen, is_organisation = baseline_of(week)
    assert is_organisation
    assert chosen.days == 31


@pytest.mark.django_db
def test_overview_figures_goals_and_baseline(week: dict[str, Any]) -> None:
    period = period_between(T0.date(), T0.date() + timedelta(days=6))
    with clock.frozen_at(NOW):
        data = overview_data(period.start, period.end)
    tiles = {tile.key: tile for tile in data.tiles}
    assert len(tiles) == 16
    # volume 4 against 1 the week before: +300 %
    assert tiles["volume"].measurement.value == 4
    assert tiles["volume"].progress.baseline == 1
    assert tiles["volume"].progress.change_pct == pytest.approx(300.0)
    # first response 30, 60, 120 min → median 60; the week before 240 → −75 %, better
    first = tiles["first_response_median"]
    assert first.measurement.value == pytest.approx(60.0)
    assert first.progress.change_pct == pytest.approx(-75.0)
    assert first.progress.better is True
    # resolved in the week: 120 and 600 min → median 360; one of two with one reply → 50 %
    assert tiles["resolution_median"].measurement.value == pytest.approx(360.0)
    assert tiles["first_contact_resolution"].measurement.value == pytest.approx(50.0)
    # complaints 2 of 4 = 50 % against 0 of 1 (no relative change from 0), worse, goal
    # "below 5" not met
    complaints = tiles["complaint_rate"]
    assert complaints.measurement.value == pytest.approx(50.0)
    assert complaints.progress.baseline == pytest.approx(0.0)
    assert complaints.progress.change_pct is None
    assert complaints.progress.better is False
    assert complaints.progress.met is False
    assert complaints.progress.target == 5.0
    assert complaints.goal_text == "below 5"
    # daily trend of the volume: 2, 1, 1, then nothing
    assert [value for _label, value in tiles["volume"].trend] == [2, 1, 1, 0, 0, 0, 0]
    assert tiles["volume"].trend[0][0] == "03-02"


@pytest.mark.django_db
def test_a_count_is_compared_per_day_with_a_longer_baseline(week: dict[str, Any]) -> None:
    # the baseline: the 14 days before the week, with t0 its only ticket (0.5 a week)
    BaselinePeriod.objects.create(
        start=(T0 - timedelta(days=14)).date(), end=(T0 - timedelta(days=1)).date(), updated_at=NOW
    )
    period = period_between(T0.date(), T0.date() + timedelta(days=6))
    with clock.frozen_at(NOW):
        data = overview_data(period.start, period.end)
    volume = next(tile for tile in data.tiles if tile.key == "volume")
    assert data.is_organisation_baseline
    assert volume.progress.baseline == pytest.approx(0.5)
    assert volume.progress.change_pct == pytest.approx(700.0)  # 4 against 0.5


@pytest.mark.django_db
def test_overview_page_shows_the_figures_and_links_them(week: dict[str, Any]) -> None:
    with clock.frozen_at(NOW):
        page = lead(week["team"]).get(f"/agent/analytics/?{WEEK}")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-metric="complaint_rate"' in html
    assert "50.0 %" in html
    assert "−75.0 %" in html
    assert "not met" in html
    assert f"/agent/analytics/tickets/?metric=volume&amp;{WEEK.replace('&', '&amp;')}" in html
    assert html.count('role="img"') == 16  # a trend chart per tile
    business = lead(week["team"]).get(f"/agent/analytics/?{WEEK}&time=business")
    assert 'data-metric="first_response_business_median"' in business.content.decode()


@pytest.mark.django_db
def test_journey_and_teams(week: dict[str, Any]) -> None:
    period = period_between(T0.date(), T0.date() + timedelta(days=6))
    stages, channels = sections.journey_data(period)
    by_stage = {str(row.label): row.values for row in stages}
    assert [str(row.label) for row in stages] == [
        "Pre-sale",
        "In-sale",
        "After-sale",
        "Maintenance",
    ]
    assert by_stage["After-sale"]["volume"].value == 2
    assert by_stage["After-sale"]["complaint_rate"].value == pytest.approx(100.0)
    assert by_stage["Pre-sale"]["complaint_rate"].value == pytest.approx(0.0)
    assert by_stage["Maintenance"]["complaint_rate"].value is None
    by_channel = {str(row.label): row.values["volume"].value for row in channels}
    assert by_channel["Web chat"] == 2
    assert by_channel["Email"] == 2
    team_rows, agent_rows = sections.team_data(period, [week["team"].pk])
    assert [(str(r.label), r.values["volume"].value) for r in team_rows] == [("Care", 3)]
    alice = next(row for row in agent_rows if row.agent == week["alice"])
    assert alice.row.values["volume"].value == 3
    assert alice.open_now == 1  # t3
    assert alice.row.values["first_response_median"].value == pytest.approx(60.0)
    page = lead(week["team"]).get(f"/agent/analytics/journey/?{WEEK}").content.decode()
    assert "After-sale" in page
    assert "100.0 %" in page
    assert "touchpoint=after_sale" in page


@pytest.mark.django_db
def test_drill_down_lists_the_tickets_behind_a_figure(week: dict[str, Any]) -> None:
    client = lead(week["team"])
    page = client.get(f"/agent/analytics/tickets/?metric=volume&touchpoint=after_sale&{WEEK}")
    html = page.content.decode()
    t1, t2, t3, _t4 = week["tickets"]
    assert page.status_code == 200
    assert f"/agent/tickets/{t2.number}/" in html
    assert f"/agent/tickets/{t3.number}/" in html
    assert f"/agent/tickets/{t1.number}/" not in html
    assert "2 tickets" in html
    resolved = client.get(f"/agent/analytics/tickets/?metric=resolution_median&{WEEK}")
    assert "2 tickets" in resolved.content.decode()
    # the complaint rate's numerator is the complaints; its sample every ticket opened
    complaints = client.get(f"/agent/analytics/tickets/?metric=complaint_rate&{WEEK}")
    assert "2 tickets" in complaints.content.decode()
    counted = client.get(f"/agent/analytics/tickets/?metric=complaint_rate&part=sample&{WEEK}")
    assert "4 tickets" in counted.content.decode()


@pytest.mark.django_db
def test_drill_down_is_paginated(week: dict[str, Any]) -> None:
    for hour in range(55):
        ticket(created=at(hour, days=3), channel="chat", touchpoint="maintenance")
    client = lead(week["team"])
    first = client.get(f"/agent/analytics/tickets/?metric=volume&touchpoint=maintenance&{WEEK}")
    html = first.content.decode()
    assert "55 tickets" in html
    assert html.count("/agent/tickets/") == 50
    assert "Page 1 of 2" in html
    second = client.get(
        f"/agent/analytics/tickets/?metric=volume&touchpoint=maintenance&{WEEK}&page=2"
    ).content.decode()
    assert second.count("/agent/tickets/") == 5


@pytest.mark.django_db
def test_sla_surveys_and_classification(week: dict[str, Any]) -> None:
    t1, t2, t3, t4 = week["tickets"]
    # t3's resolution clock is past its warning, not yet due: at risk now
    running = clock_row(t3, metric="resolution", started=at(days=1), due=NOW + timedelta(hours=2))
    running.warn_at = NOW - timedelta(hours=1)
    running.save()
    # t4's first response was due on day 2: overdue now
    clock_row(t4, metric="first_response", started=at(days=2), due=at(1, days=2))
    breached = clock_row(t2, metric="first_response", started=at(2), due=at(2.5), stopped=at(3))
    breached.warned_at, breached.breached_at = at(2.4), at(2.5)
    breached.save()
    period = period_between(T0.date(), T0.date() + timedelta(days=6))
    sla = sections.sla_data(period, NOW)
    assert [clock_.ticket_id for clock_ in sla.at_risk] == [t3.pk]
    assert (sla.warnings, sla.breaches) == (1, 1)
    assert sla.by_policy == [
        {"policy__name": "test 24x7", "warnings": 1, "breaches": 1, "warned_only": 0}
    ]
    assert (sla.at_risk_count, sla.overdue_count) == (1, 1)
    assert [clock_.ticket_id for clock_ in sla.overdue] == [t4.pk]
    assert sla.by_team[0]["ticket__team__name"] == "Care"

    csat = survey("csat")
    response(csat, 5, answered=at(5), ticket_row=t1, comment="Quick and kind")
    response(csat, 4, answered=at(6), ticket_row=t2)
    response(
        csat,
        2,
        answered=at(7),
        ticket_row=t3,
        comment="Still waiting",
        follow_up_outcome="recovered",
    )
    distributions, comments, outcomes = sections.survey_data(period)
    csat_row = next(d for d in distributions if d.survey_type == "csat")
    assert csat_row.buckets == [("1", 0), ("2", 1), ("3", 0), ("4", 1), ("5", 1)]
    assert [c.comment for c in comments] == ["Still waiting", "Quick and kind"]
    assert {str(label): n for label, n in outcomes}["Recovered"] == 1

    battery, screen = category("dash-battery"), category("dash-screen")
    for row in (t1, t2, t3, t4):
        TicketTriage.objects.create(
            ticket=row, category=battery, classifier_version=1, decided_at=row.created_at
        )
    # agents reviewed three suggestions: kept two, changed one to "screen": 2 / 3
    for row, chosen in ((t1, screen), (t2, battery), (t3, battery)):
        TriageCorrection.objects.create(
            ticket=row, from_category=battery, to_category=chosen, created_at=at(4)
        )
    classified = sections.classification_data(period)
    assert classified.accuracy.value == pytest.approx(200 / 3)
    assert classified.accuracy.sample == 3
    assert [(r.category.code, r.reviewed, r.changed) for r in classified.by_category] == [
        ("dash-battery", 3, 1)
    ]
    assert [(s.code, t.code, n) for s, t, n in classified.confusions] == [
        ("dash-battery", "dash-screen", 1)
    ]

    client = lead(week["team"])
    with clock.frozen_at(NOW):
        sla_page = client.get(f"/agent/analytics/sla/?{WEEK}").content.decode()
    assert f"/agent/tickets/{t3.number}/" in sla_page
    assert "test 24x7" in sla_page
    surveys_page = client.get(f"/agent/analytics/surveys/?{WEEK}").content.decode()
    assert "Still waiting" in surveys_page
    classification_page = client.get(f"/agent/analytics/classification/?{WEEK}").content.decode()
    assert "66.7 %" in classification_page
    assert "dash-screen" in classification_page
