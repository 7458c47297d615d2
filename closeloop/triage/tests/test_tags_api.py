"""The triage API: tags on tickets, suggestions and statistics."""

from datetime import UTC, datetime, timedelta

import pytest

from closeloop.core import clock
from closeloop.people.tests.factories import TeamFactory
from closeloop.tickets.tests.factories import make_ticket
from closeloop.triage.models import Tag, TicketTag
from closeloop.triage.tags import clear_suggestion_cache
from closeloop.triage.tests.test_taxonomy_api import URLS

pytestmark = [pytest.mark.django_db, pytest.mark.urls(URLS)]

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_index():
    clear_suggestion_cache()


def delete(api, path):
    return api.client.delete(path, headers=api.headers)


def test_add_list_and_remove_tags(api):
    ticket = make_ticket()
    url = f"/api/v1/triage/tickets/{ticket.pk}/tags"

    response = api.post(url, {"tags": ["电池", "Battery"]})
    assert response.status_code == 200, response.content
    assert response.json() == {
        "ticket_id": ticket.pk,
        "tags": ["Battery", "电池"],
        "added": ["Battery", "电池"],
        "removed": [],
    }
    again = api.post(url, {"tags": ["battery"]}).json()
    assert (again["tags"], again["added"]) == (["Battery", "电池"], [])
    assert api.get(url).json()["tags"] == ["Battery", "电池"]

    removed = delete(api, f"{url}/%E7%94%B5%E6%B1%A0")  # 电池, URL-encoded
    assert removed.status_code == 200, removed.content
    assert (removed.json()["tags"], removed.json()["removed"]) == (["Battery"], ["电池"])
    assert list(TicketTag.objects.values_list("tag__name", flat=True)) == ["Battery"]


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"tags": []}, 422, "validation_error"),
        ({}, 422, "validation_error"),
        ({"tags": ["x" * 61]}, 400, "invalid_input"),
        ({"tags": ["  "]}, 400, "invalid_input"),
    ],
)
def test_bad_tags_are_refused_and_nothing_written(api, payload, status, code):
    ticket = make_ticket()
    tags_before = Tag.objects.count()
    response = api.post(f"/api/v1/triage/tickets/{ticket.pk}/tags", payload)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert Tag.objects.count() == tags_before
    assert not TicketTag.objects.exists()


def test_tags_on_an_invisible_or_missing_ticket_are_not_found(api):
    ticket = make_ticket(team=TeamFactory(is_restricted=True))
    for ticket_id in (ticket.pk, 999999):
        response = api.post(f"/api/v1/triage/tickets/{ticket_id}/tags", {"tags": ["x"]})
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert not TicketTag.objects.exists()


def test_an_admin_without_agent_profile_cannot_tag(api_as):
    from closeloop.people.tests.factories import UserFactory

    ticket = make_ticket()
    response = api_as(UserFactory(is_superuser=True)).post(
        f"/api/v1/triage/tickets/{ticket.pk}/tags", {"tags": ["x"]}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"


def test_tag_library_and_suggestions(api):
    library = api.get("/api/v1/triage/tags").json()["items"]
    assert {"name": "VIP", "category": None, "score": None} in library
    suggestions = api.get("/api/v1/triage/tags", q="电池鼓包了", limit=2).json()["items"]
    assert suggestions[0]["name"] == "产品故障-电池"
    assert suggestions[0]["category"] == "battery"
    assert suggestions[0]["score"] > 0


def test_tag_statistics(api):
    ticket = make_ticket()
    with clock.frozen_at(T0):
        api.post(f"/api/v1/triage/tickets/{ticket.pk}/tags", {"tags": ["VIP"]})
    response = api.get(
        "/api/v1/triage/tags/statistics",
        since=(T0 - timedelta(days=1)).isoformat(),
        until=(T0 + timedelta(days=1)).isoformat(),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["total"] == 1
    assert body["tags"] == [
        {"key": "VIP", "count": 1, "previous_count": 0, "change": 1, "change_percent": None}
    ]
    assert body["categories"][0]["key"] == ""


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        (
            {"since": "2026-03-02T08:00:00+00:00", "until": "2026-03-01T08:00:00+00:00"},
            400,
            "invalid_input",
        ),
        ({"since": "2026-03-02T08:00:00"}, 400, "invalid_input"),
        ({"since": "yesterday"}, 422, "validation_error"),
    ],
)
def test_tag_statistics_bad_periods(api, params, status, code):
    response = api.get("/api/v1/triage/tags/statistics", **params)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
