"""Sampling plans on real tickets: reproducible, stratified by channel, fair, idempotent."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User

from closeloop.people.access import requester_for
from closeloop.people.tests.factories import AgentFactory, TeamFactory, lead_of, member
from closeloop.quality.models import Review, SampleDraw, SamplingPlan, Scorecard
from closeloop.quality.sampling import sampling_draw, sampling_sweep
from closeloop.quality.tests.factories import T0, conversation
from closeloop.tickets.models import Ticket

pytestmark = pytest.mark.django_db

WEEK = date(2026, 3, 2)
LINES = [("customer", "Where is my order?", 0), ("agent", "Hello, it ships today.", 5)]


def worked(agent, channels: dict[str, int], *, start=T0):
    """Resolved tickets of ``agent`` in the week: channel → count."""
    tickets = []
    step = 0
    for channel, count in channels.items():
        for _ in range(count):
            step += 1
            tickets.append(
                conversation(
                    agent, LINES, channel=channel, start=start + timedelta(minutes=17 * step)
                )
            )
    return tickets


@pytest.fixture
def team_setup(db):
    team = TeamFactory()
    reviewers = [lead_of(team), lead_of(team)]
    agents = [AgentFactory(), AgentFactory(), AgentFactory()]
    for agent in agents:
        member(agent, team)
    return team, reviewers, agents


def make_plan(team, reviewers, **fields) -> SamplingPlan:
    values = {"name": "weekly", "amount": 4, "seed": "seed-1", "team": team, "created_at": T0}
    values.update(fields)
    plan = SamplingPlan.objects.create(**values)
    plan.reviewers.set(reviewers)
    return plan


def sampled(reviews) -> list[int]:
    return sorted(review.ticket_id for review in reviews)


def test_each_agent_gets_the_same_number_stratified_by_channel(team_setup):
    team, reviewers, agents = team_setup
    worked(agents[0], {"email": 6, "chat": 3, "phone": 1})
    worked(agents[1], {"email": 5})
    worked(agents[2], {"chat": 2})  # fewer than n: all of them
    plan = make_plan(team, reviewers)

    reviews = sampling_draw(plan=plan, week=WEEK)

    per_agent = Counter(review.agent_id for review in reviews)
    assert per_agent == {agents[0].pk: 4, agents[1].pk: 4, agents[2].pk: 2}
    channels = Counter(
        Ticket.objects.get(pk=r.ticket_id).channel for r in reviews if r.agent_id == agents[0].pk
    )
    assert channels == {"email": 2, "chat": 1, "phone": 1}  # 6/3/1 of 10, one each at least


def test_the_same_seed_gives_the_same_sample_and_another_seed_another(team_setup):
    team, reviewers, agents = team_setup
    worked(agents[0], {"email": 20})
    first_plan = make_plan(team, reviewers, name="a", seed="one")
    first = sampled(sampling_draw(plan=first_plan, week=WEEK))
    Review.objects.all().delete()
    SampleDraw.objects.all().delete()

    again = sampled(sampling_draw(plan=first_plan, week=WEEK))
    Review.objects.all().delete()
    other = sampled(sampling_draw(plan=make_plan(team, reviewers, name="b", seed="two"), week=WEEK))

    assert len(first) == 4
    assert first == again
    assert first != other


def test_drawing_twice_gives_the_same_queue_without_duplicates(team_setup):
    team, reviewers, agents = team_setup
    worked(agents[0], {"email": 8})
    plan = make_plan(team, reviewers)

    first = sampling_draw(plan=plan, week=WEEK)
    second = sampling_draw(plan=plan, week=WEEK + timedelta(days=3))  # same week, a Thursday

    assert [r.pk for r in first] == [r.pk for r in second]
    assert Review.objects.count() == 4
    assert SampleDraw.objects.get().drawn_count == 4


def test_nobody_reviews_themselves_and_reviewers_take_turns(team_setup):
    team, reviewers, agents = team_setup
    worked(reviewers[0], {"email": 4})  # a lead's own conversations are sampled too
    worked(agents[0], {"email": 4})
    plan = make_plan(team, reviewers)

    reviews = sampling_draw(plan=plan, week=WEEK)

    assert all(review.reviewer_id != review.agent_id for review in reviews)
    assert {r.reviewer_id for r in reviews if r.agent_id == reviewers[0].pk} == {reviewers[1].pk}
    assert Counter(r.reviewer_id for r in reviews if r.agent_id == agents[0].pk) == {
        reviewers[0].pk: 2,
        reviewers[1].pk: 2,
    }


def test_only_resolved_tickets_of_that_week_not_yet_reviewed_are_drawn(team_setup):
    team, reviewers, agents = team_setup
    this_week = worked(agents[0], {"email": 2})
    worked(agents[0], {"email": 2}, start=T0 - timedelta(days=7))  # last week
    conversation(agents[0], LINES, start=T0 + timedelta(hours=5), resolve=False)  # still open
    Review.objects.create(
        ticket=this_week[0],
        agent=agents[0],
        reviewer=reviewers[0],
        scorecard=Scorecard.objects.get(code="default", is_current=True),
        assigned_at=T0,
    )

    reviews = sampling_draw(plan=make_plan(team, reviewers), week=WEEK)

    assert sampled(reviews) == [this_week[1].pk]


def test_a_percentage_plan_rounds_up(team_setup):
    team, reviewers, agents = team_setup
    worked(agents[0], {"email": 7})

    reviews = sampling_draw(plan=make_plan(team, reviewers, mode="percent", amount=20), week=WEEK)

    assert len(reviews) == 2  # 20 % of 7 = 1.4 → 2


def test_only_leads_and_admins_may_draw(team_setup):
    from closeloop.core.errors import PermissionDenied

    team, reviewers, agents = team_setup
    plan = make_plan(team, reviewers)

    with pytest.raises(PermissionDenied):
        sampling_draw(plan=plan, week=WEEK, actor=requester_for(agents[0].user))
    admin = User.objects.create_superuser("root", password="pw")

    assert sampling_draw(plan=plan, week=WEEK, actor=requester_for(admin)) == []
    assert SampleDraw.objects.count() == 1


def test_the_sweep_draws_last_week_once(team_setup):
    from closeloop.core.clock import frozen_at

    team, reviewers, agents = team_setup
    worked(agents[0], {"email": 3})
    make_plan(team, reviewers)

    with frozen_at(T0 + timedelta(days=8)):
        assert sampling_sweep() == 3
        assert sampling_sweep() == 0

    assert Review.objects.count() == 3
