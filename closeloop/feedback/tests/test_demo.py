"""The demo's survey data: realistic scores on resolved tickets, a few followed-up low ones."""

from __future__ import annotations

import pytest

from closeloop.console.demo_feedback import install_demo_feedback
from closeloop.feedback.models import Invitation, Response
from closeloop.feedback.tests.factories import resolved_ticket
from closeloop.people.tests.factories import TeamFactory, lead_of

pytestmark = pytest.mark.django_db


def test_install_demo_feedback() -> None:
    team = TeamFactory()
    lead = lead_of(team)
    tickets = [resolved_ticket(team=team) for _ in range(40)]
    Invitation.objects.all().delete()  # the demo writes its own history instead

    counts = install_demo_feedback(seed=3)

    assert counts["invitations"] >= len(tickets)
    assert counts["responses"] == Response.objects.count() > 0
    csat = Response.objects.filter(survey_type="csat")
    assert all(1 <= score <= 5 for score in csat.values_list("score", flat=True))
    assert csat.filter(score__gte=4).count() > csat.filter(score__lte=3).count()
    followed = Response.objects.exclude(follow_up_ticket=None)
    assert followed.count() == counts["follow_ups"]
    assert followed.exclude(follow_up_outcome="").filter(follow_up_recorded_by=lead).exists()
    assert install_demo_feedback(seed=3)["responses"] == 0  # once only
