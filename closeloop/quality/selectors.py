"""Reading quality data: queues, a review's conversation, check results, calibration spread,
and each agent's quality score.

Quality score (documented in docs/quality.md): over a period, 70 % of the average score of the
agent's submitted reviews (calibration reviews aside) plus 30 % of the pass rate of their
automatic checks (passed ÷ passed + failed, on tickets resolved in the period). With only one
of the two, that one alone; with neither, no score.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet

from closeloop.people.models import Agent
from closeloop.quality.checks import CHECK_LABELS
from closeloop.quality.models import (
    CalibrationSession,
    CheckOutcome,
    CheckResult,
    Dispute,
    DisputeStatus,
    Review,
    ReviewStatus,
)
from closeloop.quality.scoring import Spread, spread_compute
from closeloop.tickets.models import AuthorKind, Message, Ticket

REVIEW_WEIGHT = Decimal("0.7")
CHECK_WEIGHT = Decimal("0.3")


def review_queue(reviewer: Agent) -> QuerySet[Review]:
    """The reviews waiting for this reviewer, oldest first."""
    return (
        Review.objects.filter(reviewer=reviewer, status=ReviewStatus.PENDING)
        .select_related("ticket", "agent", "scorecard", "calibration")
        .order_by("assigned_at", "pk")
    )


def reviews_received(agent: Agent) -> QuerySet[Review]:
    """The submitted reviews of this agent's conversations (calibration aside), newest first."""
    return (
        Review.objects.filter(agent=agent, status=ReviewStatus.SUBMITTED, calibration__isnull=True)
        .select_related("ticket", "reviewer", "scorecard")
        .prefetch_related("dispute")
        .order_by("-submitted_at", "-pk")
    )


def disputes_open(agent_ids: Sequence[int] | None = None) -> QuerySet[Dispute]:
    """Open disputes (of these agents' reviews), oldest first."""
    disputes = Dispute.objects.filter(status=DisputeStatus.OPEN)
    if agent_ids is not None:
        disputes = disputes.filter(review__agent_id__in=agent_ids)
    return disputes.select_related("review__ticket", "review__agent", "review__reviewer").order_by(
        "created_at", "pk"
    )


@dataclass(frozen=True)
class ConversationLine:
    """One message as the review page shows it."""

    author_kind: str
    author: str
    body: str
    created_at: datetime
    is_public: bool
    recording_url: str | None


@dataclass(frozen=True)
class ConversationView:
    """A ticket's conversation for review: public thread, internal notes apart, calls."""

    ticket: Ticket
    thread: list[ConversationLine]
    notes: list[ConversationLine]
    recordings: list[str]


def conversation_for_review(ticket: Ticket) -> ConversationView:
    """The thread (chats, emails; a call's transcript is its message body), internal notes
    apart, and the recording links of calls (Message.meta["call"]["recording_url"])."""
    thread: list[ConversationLine] = []
    notes: list[ConversationLine] = []
    recordings: list[str] = []
    messages = Message.objects.filter(ticket=ticket).select_related("author_agent")
    for message in messages.order_by("created_at", "pk"):
        call = message.meta.get("call") if isinstance(message.meta, dict) else None
        url = call.get("recording_url") if isinstance(call, dict) else None
        if url and isinstance(url, str) and url.startswith(("http://", "https://")):
            recordings.append(url)
        else:
            url = None
        author = (
            message.author_agent.display_name
            if message.author_agent is not None
            else str(AuthorKind(message.author_kind).label)
        )
        line = ConversationLine(
            author_kind=message.author_kind,
            author=author,
            body=message.body,
            created_at=message.created_at,
            is_public=message.is_public,
            recording_url=url,
        )
        (thread if message.is_public else notes).append(line)
    return ConversationView(ticket=ticket, thread=thread, notes=notes, recordings=recordings)


@dataclass(frozen=True)
class CheckRow:
    """One stored check result with its label."""

    code: str
    label: str
    outcome: str
    detail: str
    checked_at: datetime


def checks_of_ticket(ticket_id: int) -> list[CheckRow]:
    """The ticket's stored check results, in the engine's order."""
    order = list(CHECK_LABELS)
    rows = CheckResult.objects.filter(ticket_id=ticket_id)
    result = [
        CheckRow(
            code=row.code,
            label=str(CHECK_LABELS.get(row.code, row.code)),
            outcome=row.outcome,
            detail=row.detail,
            checked_at=row.checked_at,
        )
        for row in rows
    ]
    return sorted(result, key=lambda r: order.index(r.code) if r.code in order else len(order))


def calibration_spread(session: CalibrationSession) -> Spread:
    """The spread of the session's submitted scores, total and per criterion."""
    reviews = list(
        session.reviews.filter(status=ReviewStatus.SUBMITTED).prefetch_related("scores__criterion")
    )
    criteria: dict[str, list[int]] = defaultdict(list)
    for review in reviews:
        for score in review.scores.all():
            criteria[score.criterion.key].append(score.points)
    return spread_compute([float(review.score or 0) for review in reviews], criteria)


@dataclass(frozen=True)
class QualityScore:
    """An agent's quality over a period (see the module docstring)."""

    agent_id: int
    review_count: int
    review_average: Decimal | None
    review_pass_rate: Decimal | None
    check_count: int
    check_pass_rate: Decimal | None
    score: Decimal | None


def _rate(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01")) if whole else None


def quality_scores(
    *, agent_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, QualityScore]:
    """Each agent's quality score over [start, end) (two grouped queries)."""
    reviews: dict[int, dict[str, Any]] = {
        row["agent_id"]: dict(row)
        for row in Review.objects.filter(
            agent_id__in=agent_ids,
            status=ReviewStatus.SUBMITTED,
            calibration__isnull=True,
            submitted_at__gte=start,
            submitted_at__lt=end,
        )
        .values("agent_id")
        .annotate(
            count=Count("pk"), average=Avg("score"), passed=Count("pk", filter=Q(passed=True))
        )
    }
    checks: dict[int, dict[str, Any]] = {
        row["agent_id"]: dict(row)
        for row in CheckResult.objects.filter(
            agent_id__in=agent_ids,
            ticket__resolved_at__gte=start,
            ticket__resolved_at__lt=end,
            outcome__in=[CheckOutcome.PASSED, CheckOutcome.FAILED],
        )
        .values("agent_id")
        .annotate(count=Count("pk"), passed=Count("pk", filter=Q(outcome=CheckOutcome.PASSED)))
    }
    scores: dict[int, QualityScore] = {}
    for agent_id in agent_ids:
        review = reviews.get(agent_id, {})
        check = checks.get(agent_id, {})
        average = review.get("average")
        review_average = (
            Decimal(str(average)).quantize(Decimal("0.01")) if average is not None else None
        )
        check_rate = _rate(check.get("passed", 0), check.get("count", 0))
        if review_average is not None and check_rate is not None:
            score: Decimal | None = (
                REVIEW_WEIGHT * review_average + CHECK_WEIGHT * check_rate
            ).quantize(Decimal("0.01"))
        else:
            score = review_average if review_average is not None else check_rate
        scores[agent_id] = QualityScore(
            agent_id=agent_id,
            review_count=review.get("count", 0),
            review_average=review_average,
            review_pass_rate=_rate(review.get("passed", 0), review.get("count", 0)),
            check_count=check.get("count", 0),
            check_pass_rate=check_rate,
            score=score,
        )
    return scores
