"""Signing in and out, the rate limit, who may enter /agent/, and the availability switch."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from closeloop.customers.tests.factories import CustomerFactory
from closeloop.people.models import Agent, Availability
from closeloop.people.tests.factories import AgentFactory, UserFactory
from closeloop.workspace.views.auth import MAX_FAILURES

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


def _sign_in(client: Client, username: str, password: str, **extra: str):  # noqa: ANN202
    return client.post("/agent/login/", {"username": username, "password": password}, **extra)


def test_sign_in_page_renders_the_form() -> None:
    response = Client().get("/agent/login/")

    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


def test_anonymous_is_sent_to_sign_in() -> None:
    response = Client().get("/agent/")

    assert response.status_code == 302
    assert response["Location"] == "/agent/login/?next=/agent/"


def test_agent_signs_in_and_lands_in_the_inbox(agent: Agent) -> None:
    client = Client()

    response = _sign_in(client, agent.user.username, "pw")

    assert response.status_code == 302
    assert response["Location"] == "/agent/"
    assert client.get("/agent/").status_code == 200


def test_sign_in_follows_a_local_next_only(agent: Agent) -> None:
    client = Client()
    response = client.post(
        "/agent/login/",
        {"username": agent.user.username, "password": "pw", "next": "https://evil.example/"},
    )

    assert response["Location"] == "/agent/"


def test_wrong_password_shows_the_error_and_signs_nobody_in(agent: Agent) -> None:
    client = Client()

    response = _sign_in(client, agent.user.username, "wrong")

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_empty_fields_are_reported_next_to_the_fields() -> None:
    response = _sign_in(Client(), "", "")

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_username-error"' in body
    assert 'id="id_password-error"' in body


def test_ten_failures_lock_the_name_even_with_the_right_password(agent: Agent) -> None:
    for _ in range(MAX_FAILURES):
        _sign_in(Client(), agent.user.username, "wrong", REMOTE_ADDR=f"10.0.0.{_}")
    client = Client()

    response = _sign_in(client, agent.user.username, "pw", REMOTE_ADDR="10.0.1.1")

    assert response.status_code == 429
    assert 'id="signin-locked"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_ten_failures_from_one_address_lock_that_address(agent: Agent) -> None:
    for number in range(MAX_FAILURES):
        _sign_in(Client(), f"someone{number}", "wrong", REMOTE_ADDR="10.9.9.9")

    locked = _sign_in(Client(), agent.user.username, "pw", REMOTE_ADDR="10.9.9.9")
    elsewhere = _sign_in(Client(), agent.user.username, "pw", REMOTE_ADDR="10.9.9.10")

    assert locked.status_code == 429
    assert elsewhere.status_code == 302


def test_a_success_clears_the_name_count(agent: Agent) -> None:
    for number in range(MAX_FAILURES - 1):
        _sign_in(Client(), agent.user.username, "wrong", REMOTE_ADDR=f"10.1.0.{number}")
    assert _sign_in(Client(), agent.user.username, "pw", REMOTE_ADDR="10.2.0.1").status_code == 302

    _sign_in(Client(), agent.user.username, "wrong", REMOTE_ADDR="10.2.0.2")
    response = _sign_in(Client(), agent.user.username, "pw", REMOTE_ADDR="10.2.0.3")

    assert response.status_code == 302


def test_sign_out_is_post_only_and_ends_the_session(agent: Agent) -> None:
    client = Client()
    client.force_login(agent.user)

    assert client.get("/agent/logout/").status_code == 405
    response = client.post("/agent/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/agent/login/"
    assert client.get("/agent/").status_code == 302


@pytest.mark.parametrize(
    "path", ["/agent/", "/agent/inbox/unassigned/", "/agent/team/", "/agent/wall/"]
)
def test_a_customer_login_cannot_reach_the_workspace(path: str) -> None:
    user = UserFactory()  # a login without an agent profile: a portal customer
    CustomerFactory()
    client = Client()
    client.force_login(user)

    response = client.get(path)

    assert response.status_code == 403
    assert "The workspace is for the service team" in response.content.decode()


def test_availability_switch_changes_the_agent(agent: Agent) -> None:
    client = Client()
    client.force_login(agent.user)

    response = client.post(
        "/agent/availability/", {"availability": "away"}, headers={"HX-Request": "true"}
    )

    agent.refresh_from_db()
    assert response.status_code == 200
    assert agent.availability == Availability.AWAY
    assert 'value="away" selected' in response.content.decode()


def test_availability_without_script_redirects_back(agent: Agent) -> None:
    client = Client()
    client.force_login(agent.user)

    response = client.post(
        "/agent/availability/", {"availability": "offline", "next": "/agent/inbox/team/"}
    )

    agent.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == "/agent/inbox/team/"
    assert agent.availability == Availability.OFFLINE


def test_bad_availability_is_refused_next_to_the_switch(agent: Agent) -> None:
    client = Client()
    client.force_login(agent.user)

    response = client.post(
        "/agent/availability/", {"availability": "asleep"}, headers={"HX-Request": "true"}
    )

    agent.refresh_from_db()
    assert response.status_code == 400
    assert 'id="ws-availability-error"' in response.content.decode()
    assert agent.availability == Availability.ONLINE


def test_going_offline_queues_the_chat_hand_over(agent: Agent) -> None:
    from django_tasks_db.models import DBTaskResult

    client = Client()
    client.force_login(agent.user)
    before = DBTaskResult.objects.count()

    client.post("/agent/availability/", {"availability": "offline"})

    assert DBTaskResult.objects.count() == before + 1


def test_availability_on_every_page_for_agents(agent: Agent) -> None:
    client = Client()
    client.force_login(agent.user)

    body = client.get("/agent/").content.decode()

    assert 'id="availability-form"' in body
    assert 'action="/agent/logout/"' in body


def test_admin_without_agent_profile_may_enter() -> None:
    admin = UserFactory(is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(admin)

    response = client.get("/agent/")

    assert response.status_code == 200
    assert 'id="availability-form"' not in response.content.decode()


def test_inactive_agent_cannot_sign_in() -> None:
    agent = AgentFactory(user__is_active=False)

    response = _sign_in(Client(), agent.user.username, "pw")

    assert response.status_code == 200
