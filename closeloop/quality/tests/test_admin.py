"""The quality admin: every list opens; a scorecard in use is read-only there."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from closeloop.quality.models import Review, Scorecard
from closeloop.quality.tests.factories import conversation

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", password="pw"))
    return client


@pytest.mark.parametrize(
    "model",
    [
        "scorecard",
        "phrase",
        "samplingplan",
        "review",
        "dispute",
        "checkresult",
        "calibrationsession",
    ],
)
def test_each_list_opens(admin_client_, model):
    assert admin_client_.get(f"/admin/quality/{model}/").status_code == 200


def test_a_scorecard_in_use_cannot_be_changed_here(admin_client_):
    from closeloop.people.tests.factories import AgentFactory

    scorecard = Scorecard.objects.get(code="default", is_current=True)
    url = f"/admin/quality/scorecard/{scorecard.pk}/change/"
    assert b'name="_save"' in admin_client_.get(url).content
    agent, reviewer = AgentFactory(), AgentFactory()
    ticket = conversation(agent, [("customer", "hi", 0), ("agent", "hello", 1)])
    Review.objects.create(
        ticket=ticket,
        agent=agent,
        reviewer=reviewer,
        scorecard=scorecard,
        assigned_at=ticket.created_at,
    )

    page = admin_client_.get(url)

    assert page.status_code == 200
    assert b'name="_save"' not in page.content
