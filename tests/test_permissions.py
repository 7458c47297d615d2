"""Who may call what: anonymous, a plain user, an agent, a restricted team's outsider, admin."""

import pytest
from django.contrib.auth.models import User

from closeloop.people.models import TeamRole
from closeloop.people.tests.factories import AgentFactory, TeamFactory, UserFactory, member
from closeloop.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

NEW_TICKET = {"subject": "s", "body": "b", "channel": "api", "customer": {"email": "c@x.io"}}


@pytest.fixture
def world():
    restricted = TeamFactory(code="vip-desk", is_restricted=True)
    insider = AgentFactory()
    member(insider, restricted, role=TeamRole.LEAD)
    restricted_ticket = make_ticket(team=restricted)
    open_ticket = make_ticket()
    return {
        "anonymous": None,
        "user": UserFactory(),  # a login with no agent profile
        "agent": AgentFactory().user,
        "insider": insider.user,
        "admin": User.objects.create_superuser("root", password="pw"),
        "restricted_ticket": restricted_ticket,
        "open_ticket": open_ticket,
    }


# role -> expected status for: list, open ticket, restricted ticket, create, customer
MATRIX = {
    "anonymous": (401, 401, 401, 401, 401),
    "user": (403, 403, 403, 403, 403),
    "agent": (200, 200, 404, 201, 200),
    "insider": (200, 200, 200, 201, 200),
    "admin": (200, 200, 200, 201, 200),
}


@pytest.mark.parametrize("role", list(MATRIX))
def test_permission_matrix(api_as, world, role):
    client = api_as(world[role])
    open_ticket, restricted_ticket = world["open_ticket"], world["restricted_ticket"]
    observed = (
        client.get("/api/v1/tickets").status_code,
        client.get(f"/api/v1/tickets/{open_ticket.pk}").status_code,
        client.get(f"/api/v1/tickets/{restricted_ticket.pk}").status_code,
        client.post("/api/v1/tickets", NEW_TICKET).status_code,
        client.get(f"/api/v1/customers/{open_ticket.customer_id}").status_code,
    )
    assert observed == MATRIX[role]


@pytest.mark.parametrize(("role", "visible"), [("agent", 1), ("insider", 2), ("admin", 2)])
def test_list_hides_restricted_teams_from_outsiders(api_as, world, role, visible):
    assert api_as(world[role]).get("/api/v1/tickets").json()["count"] == visible


def test_outsider_cannot_act_on_restricted_ticket(api_as, world):
    ticket = world["restricted_ticket"]
    client = api_as(world["agent"])
    assert client.post(f"/api/v1/tickets/{ticket.pk}/messages", {"body": "x"}).status_code == 404
    assert (
        client.post(
            f"/api/v1/tickets/{ticket.pk}/actions", {"action": "escalate", "reason": "x"}
        ).status_code
        == 404
    )
    assert ticket.messages.count() == 1


def test_error_bodies_have_stable_codes(api_as, world):
    assert api_as(None).get("/api/v1/tickets").json()["code"] == "unauthorized"
    assert api_as(world["user"]).get("/api/v1/tickets").json()["code"] == "forbidden"


def test_revoked_token_is_refused(world):
    from django.test import Client

    from closeloop.core.tokens import api_token_create, api_token_revoke

    token, clear = api_token_create(user=world["agent"])
    client = Client(headers={"Authorization": f"Bearer {clear}"})
    assert client.get("/api/v1/tickets").status_code == 200
    api_token_revoke(token=token)
    assert client.get("/api/v1/tickets").status_code == 401


def test_replayed_external_id_does_not_reveal_a_restricted_ticket(api_as, world):
    insider = api_as(world["insider"])
    body = dict(NEW_TICKET, team="vip-desk", external_id="mail-42")
    assert insider.post("/api/v1/tickets", body).status_code == 201
    outsider = api_as(world["agent"]).post("/api/v1/tickets", body)
    assert (outsider.status_code, outsider.json()["code"]) == (409, "external_id_taken")
    assert "vip-desk" not in outsider.content.decode()
