"""Sampling plans: each week, n conversations or x % per agent, stratified by channel, drawn
from a seed, queued for reviewers in turn (never the agent themselves)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from closeloop.core import clock
from closeloop.people.access import Requester
from closeloop.people.models import Agent, TeamMembership, TeamRole
from closeloop.quality.access import require_lead
from closeloop.quality.models import Review, ReviewStatus, SampleDraw, SamplingPlan
from closeloop.quality.scoring import RoundRobin, draw, sample_size
from closeloop.quality.services import scorecard_current
from closeloop.tickets.models import Status, Ticket


def week_start(day: date) -> date:
    """The Monday of the week ``day`` is in."""
    return day - timedelta(days=day.weekday())


def week_bounds(week: date) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00 in the configured time zone."""
    zone = timezone.get_default_timezone()
    start = datetime.combine(week_start(week), time.min, tzinfo=zone)
    return start, start + timedelta(days=7)


def plan_agents(plan: SamplingPlan) -> list[int]:
    """The agents a plan samples: its team's members, or every agent with an active login."""
    agents = Agent.objects.filter(user__is_active=True)
    if plan.team_id is not None:
        agents = agents.filter(memberships__team_id=plan.team_id)
    return sorted(set(agents.values_list("pk", flat=True)))


def plan_reviewers(plan: SamplingPlan) -> list[int]:
    """The plan's reviewers, or the team leads when it names none."""
    reviewers = list(plan.reviewers.values_list("pk", flat=True))
    if reviewers:
        return reviewers
    leads = TeamMembership.objects.filter(role=TeamRole.LEAD)
    if plan.team_id is not None:
        leads = leads.filter(team_id=plan.team_id)
    return list(leads.values_list("agent_id", flat=True))


def sample_candidates(plan: SamplingPlan, week: date) -> dict[int, dict[str, list[int]]]:
    """Per agent, per channel: resolved or closed tickets the agent resolved that week and
    nobody has reviewed (calibration aside)."""
    start, end = week_bounds(week)
    agent_ids = plan_agents(plan)
    reviewed = Review.objects.filter(calibration__isnull=True).exclude(
        status=ReviewStatus.CANCELLED
    )
    rows = (
        Ticket.objects.filter(
            status__in=[Status.RESOLVED, Status.CLOSED],
            assignee_id__in=agent_ids,
            resolved_at__gte=start,
            resolved_at__lt=end,
        )
        .exclude(pk__in=reviewed.values("ticket_id"))
        .values_list("assignee_id", "channel", "id")
    )
    candidates: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for agent_id, channel, ticket_id in rows:
        candidates[agent_id][channel].append(ticket_id)
    return {agent: dict(channels) for agent, channels in candidates.items()}


@transaction.atomic
def sampling_draw(
    *, plan: SamplingPlan, week: date, actor: Requester | None = None
) -> list[Review]:
    """Draw a plan's sample for a week and queue the reviews; drawing again returns the same
    queue (one SampleDraw per plan and week)."""
    if actor is not None:
        require_lead(actor)
    week = week_start(week)
    try:
        with transaction.atomic():
            record = SampleDraw.objects.create(plan=plan, week=week, drawn_at=clock.now())
    except IntegrityError:
        return list(Review.objects.filter(plan=plan, week=week).order_by("pk"))
    scorecard = scorecard_current(plan.scorecard_code)
    robin = RoundRobin(plan_reviewers(plan))
    now = clock.now()
    reviews: list[Review] = []
    for agent_id, channels in sorted(sample_candidates(plan, week).items()):
        available = sum(len(ids) for ids in channels.values())
        wanted = sample_size(plan.mode, plan.amount, available)
        for ticket_id in draw(channels, wanted, seed=f"{plan.seed}:{week.isoformat()}:{agent_id}"):
            reviewer_id = robin.next_for(agent_id)
            if reviewer_id is None:
                continue
            reviews.append(
                Review(
                    ticket_id=ticket_id,
                    agent_id=agent_id,
                    reviewer_id=reviewer_id,
                    scorecard=scorecard,
                    plan=plan,
                    week=week,
                    assigned_at=now,
                )
            )
    Review.objects.bulk_create(reviews)
    SampleDraw.objects.filter(pk=record.pk).update(drawn_count=len(reviews))
    return list(Review.objects.filter(plan=plan, week=week).order_by("pk"))


def sampling_sweep() -> int:
    """Draw last week's sample of every active plan (idempotent); return reviews queued."""
    last_week = week_start(
        clock.now().astimezone(timezone.get_default_timezone()).date()
    ) - timedelta(days=7)
    queued = 0
    for plan in SamplingPlan.objects.filter(is_active=True):
        if not SampleDraw.objects.filter(plan=plan, week=last_week).exists():
            queued += len(sampling_draw(plan=plan, week=last_week))
    return queued
