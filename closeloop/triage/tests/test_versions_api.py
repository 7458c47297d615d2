"""The triage API: the needs-triage list, corrections and classifier versions."""

import pytest

from closeloop.people.tests.factories import AgentFactory, TeamFactory, UserFactory
from closeloop.tickets.tests.factories import make_ticket
from closeloop.triage.decisions import triage_record
from closeloop.triage.models import Category, ClassifierVersion, TriageCorrection
from closeloop.triage.tests.test_taxonomy_api import URLS
from closeloop.triage.versions import clear_version_cache, version_activate, version_store

pytestmark = [pytest.mark.django_db, pytest.mark.urls(URLS)]


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_version_cache()
    yield
    clear_version_cache()


@pytest.fixture
def admin_api(api_as):
    return api_as(AgentFactory(user=UserFactory(is_superuser=True)).user)


def store(number_of_examples=10):
    return version_store(
        backend="tfidf-linear",
        blob=b"m",
        labels=["refund"],
        evaluation={"accuracy": 0.9, "macro_f1": 0.8},
        examples=number_of_examples,
        trained_by="admin",
    )


def test_needs_triage_list_and_correction(api):
    unsure = make_ticket(subject="Odd noise")
    sure = make_ticket()
    hidden = make_ticket(team=TeamFactory(is_restricted=True))
    for ticket, confidence in ((unsure, 0.2), (sure, 0.95), (hidden, 0.1)):
        triage_record(
            ticket=ticket,
            category=Category.objects.get(code="audio"),
            confidence=confidence,
            version=1,
        )

    body = api.get("/api/v1/triage/needs-triage", lang="en").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert (item["id"], item["subject"]) == (unsure.pk, "Odd noise")
    assert item["triage"]["category"] == "audio"
    assert item["triage"]["category_name"] == "Sound: speaker, microphone, earphones"
    assert item["triage"]["confidence"] == 0.2

    response = api.post(
        f"/api/v1/triage/tickets/{unsure.pk}/correction", {"category": "build-defect"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["category"] == "build-defect"
    assert response.json()["needs_triage"] is False
    assert response.json()["source"] == "agent"
    assert api.get("/api/v1/triage/needs-triage").json() == {"items": [], "count": 0}
    assert api.get(f"/api/v1/triage/tickets/{unsure.pk}").json()["category"] == "build-defect"


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"category": "nope"}, 400, "invalid_input"),
        ({"category": "product-quality"}, 400, "invalid_input"),
        ({"category": ""}, 422, "validation_error"),
        ({}, 422, "validation_error"),
    ],
)
def test_bad_corrections_are_refused_and_nothing_written(api, payload, status, code):
    ticket = make_ticket()
    response = api.post(f"/api/v1/triage/tickets/{ticket.pk}/correction", payload)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert not TriageCorrection.objects.exists()


def test_correction_of_an_invisible_ticket_is_not_found(api):
    ticket = make_ticket(team=TeamFactory(is_restricted=True))
    response = api.post(f"/api/v1/triage/tickets/{ticket.pk}/correction", {"category": "refund"})
    assert response.status_code == 404
    assert not TriageCorrection.objects.exists()


def test_untriaged_ticket_has_no_decision(api):
    response = api.get(f"/api/v1/triage/tickets/{make_ticket().pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_versions_list_for_agents(api):
    first, second = store(), store(20)
    version_activate(first)
    version_activate(second)
    items = api.get("/api/v1/triage/classifier/versions").json()["items"]
    assert [(v["number"], v["is_active"], v["previous"]) for v in items] == [
        (2, True, 1),
        (1, False, None),
    ]
    assert items[0]["evaluation"] == {"accuracy": 0.9, "macro_f1": 0.8}
    assert "model" not in items[0]


def test_admin_activates_and_rolls_back(admin_api):
    store(), store()
    first = admin_api.post("/api/v1/triage/classifier/versions/1/activate")
    assert first.status_code == 200, first.content
    second = admin_api.post("/api/v1/triage/classifier/versions/2/activate").json()
    assert (second["number"], second["is_active"], second["previous"]) == (2, True, 1)

    back = admin_api.post("/api/v1/triage/classifier/rollback")
    assert back.status_code == 200, back.content
    assert back.json()["number"] == 1
    assert ClassifierVersion.objects.get(is_active=True).number == 1

    nothing = admin_api.post("/api/v1/triage/classifier/rollback")
    assert nothing.status_code == 409
    assert nothing.json()["code"] == "nothing_to_roll_back"


def test_activating_a_missing_version_is_not_found(admin_api):
    response = admin_api.post("/api/v1/triage/classifier/versions/7/activate")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("path", ["/classifier/versions/1/activate", "/classifier/rollback"])
def test_agents_cannot_change_the_classifier(api, path):
    version_activate(store())
    store()
    response = api.post(f"/api/v1/triage{path}")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert ClassifierVersion.objects.get(is_active=True).number == 1


def test_anonymous_gets_nothing(api_as):
    response = api_as(None).get("/api/v1/triage/classifier/versions")
    assert response.status_code == 401
