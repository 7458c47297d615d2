"""The bot API (/api/v1/bot): who may do what, trying the bot without a trace, retraining,
settings, and conversations with their transcripts."""

from __future__ import annotations

import pytest

from closeloop.knowledge.models import ArticleUse, BotConversation, BotSettings, FaqModel
from closeloop.knowledge.tests.bot_articles import make_articles, trained_articles
from closeloop.knowledge.tests.bot_support import chat
from closeloop.people.models import TeamRole
from closeloop.people.tests.factories import AgentFactory, TeamFactory, UserFactory, member
from closeloop.tickets.models import Ticket

pytestmark = pytest.mark.django_db

BASE = "/api/v1/bot"


@pytest.fixture
def trained():
    return trained_articles()


@pytest.fixture
def clients(api_as):
    lead = AgentFactory()
    member(lead, TeamFactory(), role=TeamRole.LEAD)
    return {
        "anonymous": api_as(None),
        "customer": api_as(UserFactory()),  # a login without an agent profile
        "agent": api_as(AgentFactory().user),
        "lead": api_as(lead.user),
        "admin": api_as(AgentFactory(user=UserFactory(is_superuser=True)).user),
    }


def _call(client, method, path, body=None):
    if method == "get":
        return client.get(path)
    if method == "patch":
        import json

        return client.client.patch(
            path, json.dumps(body or {}), content_type="application/json", headers=client.headers
        )
    return client.post(path, body or {})


ENDPOINTS = [
    ("get", "/conversations", None, "agent"),
    ("get", "/statistics", None, "agent"),
    ("post", "/try", {"text": "where is my parcel"}, "agent"),
    ("get", "/settings", None, "admin"),
    ("patch", "/settings", {"max_choices": 2}, "admin"),
    ("post", "/train", None, "admin"),
]
EXPECTED = {
    "anonymous": {"agent": 401, "admin": 401},
    "customer": {"agent": 403, "admin": 403},
    "agent": {"agent": 200, "admin": 403},
    "lead": {"agent": 200, "admin": 403},
    "admin": {"agent": 200, "admin": 200},
}


@pytest.mark.parametrize("role", list(EXPECTED))
@pytest.mark.parametrize(("method", "path", "body", "needs"), ENDPOINTS)
def test_permission_matrix(trained, clients, role, method, path, body, needs):
    response = _call(clients[role], method, BASE + path, body)
    assert response.status_code == EXPECTED[role][needs], response.content
    if response.status_code >= 400:
        assert response.json()["code"] in ("unauthorized", "forbidden")
        assert BotSettings.objects.filter(max_choices=2).count() == 0


def test_try_answers_and_records_nothing(trained, api):
    response = api.post(f"{BASE}/try", {"text": "how do I reset my password"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["kind"] == "answer"
    assert body["articles"][0]["slug"] == "reset-password"
    assert body["articles"][0]["confidence"] >= 0.6
    assert "Reset your password" in body["text"]
    low = api.post(f"{BASE}/try", {"text": "xyzzy plugh"}).json()
    assert (low["kind"], low["articles"][0]["confidence"]) == ("handoff", 0.0)
    assert not BotConversation.objects.exists()
    assert not ArticleUse.objects.exists()


def test_try_refuses_an_empty_question(api):
    response = api.post(f"{BASE}/try", {"text": ""})
    assert (response.status_code, response.json()["code"]) == (422, "validation_error")


def test_train_stores_a_matcher_at_once(clients):
    make_articles()
    admin = clients["admin"]
    first = admin.post(f"{BASE}/train").json()
    assert (first["status"], first["articles"]) == ("trained", 6)
    assert FaqModel.objects.count() == 1


def test_settings_update_and_bad_settings_change_nothing(clients):
    admin = clients["admin"]
    response = _call(
        admin, "patch", f"{BASE}/settings", {"answer_threshold": 0.7, "channels": ["chat"]}
    )
    assert response.status_code == 200, response.content
    assert (response.json()["answer_threshold"], response.json()["channels"]) == (0.7, ["chat"])
    for bad, code in (
        ({"choices_threshold": 0.9}, "invalid_input"),  # above the answer threshold
        ({"channels": ["email"]}, "invalid_input"),
        ({"generative_enabled": True}, "invalid_input"),  # no endpoint
        ({"generative_url": "ftp://model.example"}, "invalid_input"),
        ({"answer_threshold": 2}, "validation_error"),
    ):
        refused = _call(admin, "patch", f"{BASE}/settings", bad)
        assert refused.json()["code"] == code, bad
        assert refused.status_code in (400, 422)
    row = BotSettings.objects.get()
    assert (row.answer_threshold, row.choices_threshold, row.channels) == (0.7, 0.25, ["chat"])
    assert row.generative_enabled is False


def test_conversations_list_filters_and_hides_restricted_tickets(trained, clients, api_as):
    chat("v-api-1", "how do I reset my password")
    hidden = Ticket.objects.get(pk=chat("v-api-2", "xyzzy plugh").ticket_id)
    Ticket.objects.filter(pk=hidden.pk).update(team=TeamFactory(is_restricted=True))
    admin, agent = clients["admin"], clients["agent"]
    everything = admin.get(f"{BASE}/conversations").json()
    assert everything["count"] == 2
    active = admin.get(f"{BASE}/conversations?outcome=active").json()
    assert [item["outcome"] for item in active["items"]] == ["active"]
    assert agent.get(f"{BASE}/conversations").json()["count"] == 1
    detail = admin.get(f"{BASE}/conversations/{active['items'][0]['id']}").json()
    assert [turn["role"] for turn in detail["transcript"]] == ["customer", "bot"]
    assert detail["transcript"][1]["articles"][0]["title"] == "Reset your password"
    hidden_id = BotConversation.objects.get(ticket=hidden).pk
    assert agent.get(f"{BASE}/conversations/{hidden_id}").status_code == 404
    bad = admin.get(f"{BASE}/conversations?outcome=maybe")
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_input")


def test_admin_pages_for_the_bot_and_a_bad_setting_is_a_form_error(trained):
    from django.test import Client

    user = UserFactory(is_superuser=True, is_staff=True)
    browser = Client()
    browser.force_login(user)
    chat("v-admin", "how do I reset my password")
    for path in ("/admin/knowledge/botconversation/", "/admin/knowledge/faqmodel/"):
        assert browser.get(path).status_code == 200, path
    BotSettings.objects.get_or_create(id=1)
    form = {
        "is_enabled": "on",
        "channels": "[]",
        "answer_threshold": "0.3",
        "choices_threshold": "0.5",
        "max_choices": "3",
        "idle_minutes": "30",
        "generative_url": "",
        "generative_model": "",
    }
    response = browser.post("/admin/knowledge/botsettings/1/change/", form)
    assert response.status_code == 200  # the form again, with the error
    assert "cannot be above the answer threshold" in response.content.decode()
    assert BotSettings.objects.get().answer_threshold == 0.6
    form["choices_threshold"] = "0.2"
    assert browser.post("/admin/knowledge/botsettings/1/change/", form).status_code == 302
    assert BotSettings.objects.get().answer_threshold == 0.3


def test_statistics_give_the_bot_share(trained, api):
    chat("v-stats-1", "how do I reset my password")
    chat("v-stats-1", "yes")  # resolved, confirmed
    chat("v-stats-2", "where is my parcel")
    chat("v-stats-2", "no")  # handed off, not helpful
    chat("v-stats-3", "转人工")  # handed off at once
    chat("v-stats-4", "how do I get my money back")  # still active
    body = api.get(f"{BASE}/statistics").json()
    assert body == {
        "conversations": 4,
        "outcomes": {"active": 1, "resolved": 1, "handed_off": 2, "abandoned": 0},
        "handoff_reasons": {"not_helpful": 1, "asked_for_person": 1},
        "confirmed_helpful": 1,
        "said_not_helpful": 1,
        "bot_share": round(1 / 3, 4),
    }
    assert api.get(f"{BASE}/statistics?channel=portal").json()["conversations"] == 0
