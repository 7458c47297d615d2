"""The demo's quality assurance: automatic checks on every resolved ticket, the empathy
criterion pointing at the knowledge base's complaint-handling script, a weekly sampling plan
drawn for the last weeks with most reviews submitted (mostly good, a few failed), one
calibration scored by three leads, and two disputes (one open for a lead, one settled).

Run after the demo's tickets and people exist (``demo_data.load_demo``); written through the
quality services at back-dated instants, so queues, scores and disputes read as real history.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction

from closeloop.core import clock
from closeloop.knowledge.models import Article
from closeloop.people.access import requester_for
from closeloop.people.models import Agent, TeamMembership, TeamRole
from closeloop.quality.engine import checks_backfill
from closeloop.quality.models import Criterion, Review, ReviewStatus, SamplingPlan, Scorecard
from closeloop.quality.sampling import sampling_draw, week_bounds, week_start
from closeloop.quality.services import (
    CriterionInput,
    calibration_create,
    dispute_raise,
    dispute_settle,
    review_submit,
)
from closeloop.tickets.models import Status, Ticket

PLAN_NAME = "Weekly QA / 每周质检"
PER_AGENT = 3
SUBMITTED_SHARE = 0.7
NOTES_EN = ["Clear and friendly.", "Check the order before promising a date.", "Good recovery."]
NOTES_ZH = ["回复清晰友好。", "承诺时间前先核对订单。", "补救处理得好。"]


def install_demo_quality(*, seed: int = 7, weeks: int = 4) -> dict[str, int]:
    """Check every resolved ticket, draw the last ``weeks`` weeks' samples, submit most of
    them, add a calibration and two disputes; return counts of what was made."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    checked = checks_backfill(only_missing=True).tickets
    leads = _leads()
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    if not leads or admin is None:
        return {"checked": checked, "reviews": 0, "submitted": 0, "calibrations": 0, "disputes": 0}
    with transaction.atomic():
        _link_service_standard()
        plan = SamplingPlan.objects.create(
            name=PLAN_NAME, amount=PER_AGENT, seed=f"demo-{seed}", created_at=clock.now()
        )
        plan.reviewers.set(leads)
        this_week = week_start(clock.now().date())
        reviews: list[Review] = []
        for back in range(weeks, 0, -1):
            week = this_week - timedelta(weeks=back)
            # Drawn on the Monday after the week, as the sweep does.
            with clock.frozen_at(min(clock.now(), week_bounds(week)[1] + timedelta(hours=1))):
                reviews.extend(sampling_draw(plan=plan, week=week))
        submitted = _submit_some(rng, reviews)
        calibrations = _calibration(rng, leads, requester_for(admin))
        disputes = _disputes(submitted)
    return {
        "checked": checked,
        "reviews": len(reviews),
        "submitted": len(submitted),
        "calibrations": calibrations,
        "disputes": disputes,
    }


STANDARD_SLUG = "complaint-handling-script"  # the demo knowledge base's internal script


def _link_service_standard() -> None:
    """The default scorecard's empathy criterion refers to the complaint-handling script."""
    article = Article.objects.filter(slug=STANDARD_SLUG).first()
    if article is not None:
        Criterion.objects.filter(
            scorecard__code="default", scorecard__is_current=True, key="empathy"
        ).update(standard_article=article)


def _leads() -> list[Agent]:
    agent_ids = TeamMembership.objects.filter(role=TeamRole.LEAD).values_list("agent_id", flat=True)
    return list(Agent.objects.filter(pk__in=agent_ids).order_by("pk"))


def _points(rng: random.Random, scorecard: Scorecard) -> dict[str, CriterionInput]:
    """Mostly full marks, sometimes a point off, rarely a failed criterion."""
    chinese = rng.random() < 0.5
    scores: dict[str, CriterionInput] = {}
    for criterion in scorecard.criteria.all():
        roll = rng.random()
        if roll < 0.7:
            points = criterion.max_points
        elif roll < 0.95:
            points = max(0, criterion.max_points - 1)
        else:
            points = 0
        note = (
            rng.choice(NOTES_ZH if chinese else NOTES_EN) if points < criterion.max_points else ""
        )
        scores[criterion.key] = CriterionInput(points=points, note=note)
    return scores


def _submit_some(rng: random.Random, reviews: list[Review]) -> list[Review]:
    """Reviewers submit most reviews a day or three after they were queued (not in the future)."""
    done: list[Review] = []
    now = clock.now()
    for review in reviews:
        if rng.random() > SUBMITTED_SHARE:
            continue
        # The sample of a week is reviewed in the days after it ends.
        week_end = week_bounds(review.week)[1] if review.week else review.assigned_at
        at = min(now, week_end + timedelta(days=rng.randint(0, 3), hours=rng.randint(1, 8)))
        with clock.frozen_at(at):
            done.append(
                review_submit(
                    review=review,
                    scores=_points(rng, review.scorecard),
                    notes="",
                    actor=requester_for(review.reviewer.user),
                )
            )
    return done


def _calibration(rng: random.Random, leads: list[Agent], admin: object) -> int:
    """Three leads score one recent conversation; two have submitted."""
    reviewers = leads[:3]
    lead_ids = [lead.pk for lead in reviewers]
    ticket = (
        Ticket.objects.filter(status__in=[Status.RESOLVED, Status.CLOSED], assignee__isnull=False)
        .exclude(assignee_id__in=lead_ids)
        .order_by("-resolved_at")
        .first()
    )
    if ticket is None or len(reviewers) < 2:
        return 0
    session = calibration_create(
        ticket=ticket,
        reviewer_ids=lead_ids,
        actor=admin,  # type: ignore[arg-type]
        title="Calibration / 校准",
    )
    for review in session.reviews.select_related("reviewer__user", "scorecard")[:2]:
        review_submit(
            review=review,
            scores=_points(rng, review.scorecard),
            actor=requester_for(review.reviewer.user),
        )
    return 1


def _disputes(submitted: list[Review]) -> int:
    """The lowest-scored review is disputed and left open; the next one is disputed and
    rejected by a lead of the agent's team (or the administrator)."""
    ranked = sorted(
        (r for r in submitted if r.status == ReviewStatus.SUBMITTED),
        key=lambda r: (r.score, r.pk),
    )
    made = 0
    for index, review in enumerate(ranked[:2]):
        agent = requester_for(review.agent.user)
        dispute = dispute_raise(
            review=review,
            reason="客户的问题已经解决，准确性不应扣分。"
            if index == 0
            else "The customer got the right answer.",
            actor=agent,
        )
        made += 1
        if index == 1:
            settler = _settler(review.agent)
            if settler is not None:
                dispute_settle(
                    dispute=dispute,
                    upheld=False,
                    note="The promised date was not checked.",
                    actor=requester_for(settler),
                )
    return made


def _settler(agent: Agent) -> User | None:
    """A lead of one of the agent's teams other than the agent, or the administrator."""
    teams = TeamMembership.objects.filter(agent=agent).values("team")
    lead = (
        TeamMembership.objects.filter(team__in=teams, role=TeamRole.LEAD)
        .exclude(agent=agent)
        .select_related("agent__user")
        .first()
    )
    if lead is not None:
        return lead.agent.user
    return User.objects.filter(is_superuser=True).order_by("pk").first()
