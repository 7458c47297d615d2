"""The dashboard pages: who may open them, the period picker, the numbers on a small
fixture, and the drill-down to the tickets behind a figure."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from closeloop.analytics.tests.pages import assert_for_leads_only

PAGES = [
    "/agent/analytics/",
    "/agent/analytics/journey/",
    "/agent/analytics/teams/",
    "/agent/analytics/sla/",
    "/agent/analytics/surveys/",
    "/agent/analytics/classification/",
    "/agent/analytics/tickets/?metric=volume",
]
# The fixture's period: the week of T0 (2026-03-02 to 2026-03-08).
WEEK = "from=2026-03-02&to=2026-03-08"


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_leads_and_admins_open_the_dashboards_agents_do_not(path: str) -> None:
    assert_for_leads_only(path)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("period=12", "period"),
        ("month=2026-13", "month"),
        ("from=2026-03-08&to=2026-03-01", "to"),
        ("from=yesterday", "from"),
        ("from=2020-01-01&to=2026-01-01", "from"),
    ],
)
def test_a_wrong_period_is_a_400_naming_the_field(
    lead_client: Client, query: str, field: str
) -> None:
    page = lead_client.get(f"/agent/analytics/?{query}")
    assert page.status_code == 400
    html = page.content.decode()
    assert 'role="alert"' in html
    assert f'id="period-{field}"' in html or field == "period"
    if field != "period":
        assert re.search(rf'id="period-{field}"[^>]*aria-invalid="true"', html)


@pytest.mark.django_db
def test_drill_down_refuses_an_unknown_metric_or_scope(lead_client: Client) -> None:
    assert lead_client.get("/agent/analytics/tickets/?metric=nope").status_code == 400
    assert lead_client.get("/agent/analytics/tickets/?metric=volume&team=x").status_code == 400
    # bot share cannot be narrowed by team
    assert lead_client.get("/agent/analytics/tickets/?metric=bot_share&team=1").status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_dashboards_render_in_chinese(lead_client: Client, path: str) -> None:
    page = lead_client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    assert '<html lang="zh-Hans">' in page.content.decode()


@pytest.mark.django_db
def test_header_marks_analytics_current_on_the_dashboards(lead_client: Client) -> None:
    html = lead_client.get("/agent/analytics/surveys/").content.decode()
    assert 'href="/agent/analytics/" aria-current="page">Analytics</a>' in html
    # the sub-navigation keeps the period
    assert re.search(
        r'href="/agent/analytics/surveys/\?from=[-\d]+&amp;to=[-\d]+" '
        r'aria-current="page">Surveys</a>',
        html,
    )
