"""GET /api/v1/metrics: JSON with goal progress, CSV with a byte-order mark and Chinese labels,
an XLSX workbook read back from its XML, the errors, the permissions; goals and baseline."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from typing import Any

import pytest
from django.utils import translation

from closeloop.analytics.goals import goal_progress
from closeloop.analytics.metrics import metric_get
from closeloop.analytics.models_engine import BaselinePeriod, Goal
from closeloop.analytics.tests.factories import at, ticket
from closeloop.core import clock
from closeloop.people.tests.factories import AgentFactory, TeamFactory, UserFactory, lead_of
from closeloop.tickets.models import Channel

NOW = at(days=10)
WEEK = {"from": "2026-03-02", "to": "2026-03-08"}


def week_of_tickets() -> None:
    # Week of 2–8 March: 4 email (1 complaint) and 2 chat (2 complaints) tickets → complaint
    # rate 3/6 = 50 %; email 25 %, chat 100 %. Baseline week 23 Feb–1 Mar: 4 tickets, 1
    # complaint → 25 %. One ticket on 9 March is outside.
    for hours, channel, kind in (
        (1, "email", "complaint"), (2, "email", "inquiry"), (30, "email", "inquiry"),
        (50, "email", "inquiry"), (3, "chat", "complaint"), (70, "chat", "complaint"),
        (-20, "email", "complaint"), (-30, "email", "inquiry"), (-40, "chat", "inquiry"),
        (-100, "chat", "inquiry"), (24 * 7 + 1, "email", "complaint"),
    ):  # fmt: skip
        ticket(created=at(hours), channel=channel, kind=kind)


def get(api: Any, **params: Any) -> Any:
    with clock.frozen_at(NOW):
        return api.get("/api/v1/metrics", **params)


@pytest.mark.django_db
def test_json_rows_with_goal_and_baseline(api: Any) -> None:
    week_of_tickets()
    BaselinePeriod.objects.create(start=at(days=-7).date(), end=at(days=-1).date(), updated_at=NOW)
    response = get(api, **WEEK, metrics="complaint_rate,volume")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["baseline"] == {"from": "2026-02-23", "to": "2026-03-01"}
    (row,) = body["rows"]
    complaint = row["values"]["complaint_rate"]
    assert (complaint["value"], complaint["numerator"], complaint["sample"]) == (50.0, 3, 6)
    # The default goal: complaint rate below 5 % → not met, 45 points above; baseline 25 %
    # → +100 %, worse.
    assert complaint["goal"] == {
        "comparison": "below",
        "target": 5.0,
        "met": False,
        "gap": 45.0,
        "baseline": 25.0,
        "change_pct": 100.0,
        "better": False,
    }
    assert row["values"]["volume"]["value"] == 6.0
    # Volume: 6 against the baseline week's 4 → +50 % (same length; a count is compared per
    # day, so a 14-day period against this 7-day baseline compares with 8).
    assert row["values"]["volume"]["goal"]["change_pct"] == 50.0
    body = get(api, **{"from": "2026-02-23", "to": "2026-03-08"}, metrics="volume").json()
    assert body["rows"][0]["values"]["volume"]["goal"]["baseline"] == 8.0
    assert row["values"]["volume"]["goal"]["target"] is None


@pytest.mark.django_db
def test_grouped_json(api: Any) -> None:
    week_of_tickets()
    body = get(api, **WEEK, metrics="complaint_rate", group_by="channel").json()
    got = {row["key"]: row["values"]["complaint_rate"]["value"] for row in body["rows"]}
    assert got == {"email": 25.0, "chat": 100.0}
    body = get(api, **WEEK, metrics="volume", channel="chat").json()
    assert body["rows"][0]["values"]["volume"]["value"] == 2.0
    assert body["scope"] == {"channel": "chat"}


@pytest.mark.django_db
def test_csv_has_bom_and_chinese_labels(api: Any) -> None:
    week_of_tickets()
    with clock.frozen_at(NOW):
        response = api.client.get(
            "/api/v1/metrics",
            {**WEEK, "metrics": "complaint_rate", "group_by": "channel", "format": "csv"},
            headers={**api.headers, "Accept-Language": "zh-hans"},
        )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 3
    with translation.override("zh-hans"):
        label = str(metric_get("complaint_rate").label)
        email = str(Channel.EMAIL.label)
    assert rows[0][2] == label
    by_key = {row[1]: row for row in rows[1:]}
    assert by_key["email"][0] == email
    assert float(by_key["email"][2]) == 25.0
    assert (by_key["chat"][3], by_key["chat"][4]) == ("2.0", "2")


@pytest.mark.django_db
def test_xlsx_opens_and_holds_the_figures(api: Any) -> None:
    week_of_tickets()
    response = get(api, **WEEK, metrics="complaint_rate,volume", group_by="channel", format="xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    with zipfile.ZipFile(io.BytesIO(response.content)) as book:
        names = set(book.namelist())
        assert {"xl/workbook.xml", "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"} <= names
        strings = book.read("xl/sharedStrings.xml").decode()
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "Complaint rate" in strings
    assert "2026-03-02 – 2026-03-08" in strings
    numbers = [float(value) for value in re.findall(r"<v>([0-9.]+)</v>", sheet)]
    # email 25 % of 4 and chat 100 % of 2 are both there (strings are indexes, also <v>).
    assert 25.0 in numbers
    assert 100.0 in numbers


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-03-02", "to": "2026-03-01"}, "to"),
        ({"from": "2026-3-2", "to": "2026-03-08"}, "from"),
        ({"from": "2025-01-01", "to": "2026-03-08"}, "to"),
        ({**WEEK, "metrics": "volume,happiness"}, "metrics"),
        ({**WEEK, "group_by": "planet"}, "group_by"),
        ({**WEEK, "format": "pdf"}, "format"),
        ({**WEEK, "category": "no-such"}, "category"),
        ({**WEEK, "metrics": "bot_share", "team": 1}, "team_id"),
    ],
)
def test_errors_are_400_with_a_code(api: Any, params: dict, field: str) -> None:
    response = get(api, **params)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_input"
    assert response.json()["details"]["field"] == field


@pytest.mark.django_db
def test_permissions(api_as: Any) -> None:
    assert get(api_as(None), **WEEK).status_code == 401
    assert get(api_as(UserFactory()), **WEEK).status_code == 403
    assert get(api_as(AgentFactory().user), **WEEK, metrics="volume").status_code == 200
    # Goals: agents read, leads change.
    agent = api_as(AgentFactory().user)
    assert agent.get("/api/v1/metrics/goals").status_code == 200
    put = agent.client.put(
        "/api/v1/metrics/goals/csat",
        json.dumps({"comparison": "at_least", "target": 85}),
        content_type="application/json",
        headers=agent.headers,
    )
    assert put.status_code == 403


@pytest.mark.django_db
def test_leads_set_goals_and_baseline(api_as: Any) -> None:
    lead = api_as(lead_of(TeamFactory()).user)

    def put(path: str, data: dict) -> Any:
        return lead.client.put(
            path, json.dumps(data), content_type="application/json", headers=lead.headers
        )

    assert put("/api/v1/metrics/goals/csat", {"comparison": "at_least", "target": 85}).json() == {
        "metric": "csat",
        "comparison": "at_least",
        "target": 85.0,
    }
    assert Goal.objects.get(metric="csat").target == 85.0
    assert put("/api/v1/metrics/goals/csat", {"comparison": "most", "target": 1}).status_code == 400
    assert put("/api/v1/metrics/goals/nothing", {"comparison": "above", "target": 1}).json()[
        "code"
    ] == ("invalid_input")
    bad = put("/api/v1/metrics/baseline", {"start": "2026-02-10", "end": "2026-02-01"})
    assert bad.status_code == 400
    good = put("/api/v1/metrics/baseline", {"start": "2026-02-01", "end": "2026-02-28"})
    assert good.json() == {"start": "2026-02-01", "end": "2026-02-28"}
    assert BaselinePeriod.objects.count() == 1
    assert put("/api/v1/metrics/baseline", {}).json() == {"start": None, "end": None}
    assert BaselinePeriod.objects.count() == 0


@pytest.mark.django_db
def test_goal_progress_by_hand() -> None:
    # First response median 30 min against a baseline of 60: −50 %, better (lower is better).
    progress = goal_progress(key="first_response_median", value=30.0, baseline=60.0)
    assert (progress.change_pct, progress.better, progress.met) == (-50.0, True, None)
    # CSAT 92 % against the default ≥ 90 % goal: met, gap +2; no baseline.
    progress = goal_progress(key="csat", value=92.0, baseline=None)
    assert (progress.met, progress.gap, progress.change_pct) == (True, 2.0, None)
    # NPS exactly 60 does not meet "above 60".
    assert goal_progress(key="nps", value=60.0, baseline=60.0).met is False
    assert goal_progress(key="nps", value=60.0, baseline=60.0).better is None
