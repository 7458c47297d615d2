"""What the analytics page tests share: a signed-in test client, and the check that a page is
for team leads and administrators only."""

from __future__ import annotations

from typing import Any

from django.test import Client

from closeloop.people.tests.factories import AgentFactory, TeamFactory, UserFactory, lead_of
from closeloop.portal.tests.support import signed_in_client


def signed_in(user: Any) -> Client:
    """A test client signed in as ``user``."""
    client = Client()
    client.force_login(user)
    return client


def assert_for_leads_only(path: str) -> None:
    """A lead and an administrator open ``path``; an agent gets 403; anonymous visitors and a
    customer signed in to the portal (nobody in the workspace) go to the workspace sign-in."""
    assert signed_in(lead_of(TeamFactory()).user).get(path).status_code == 200, path
    assert signed_in(UserFactory(is_superuser=True)).get(path).status_code == 200, path
    assert signed_in(AgentFactory().user).get(path).status_code == 403, path
    anonymous = Client().get(path)
    assert anonymous.status_code == 302, path
    assert anonymous["Location"].startswith("/agent/login/"), path
    customer, _customer = signed_in_client()
    assert customer.get(path)["Location"].startswith("/agent/login/"), path
