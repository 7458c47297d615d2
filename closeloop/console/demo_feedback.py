"""Demo surveys: CSAT answers on the demo's resolved tickets (mostly 4–5, some 1–3), a
relationship NPS round with promoters, passives and detractors, comments in Chinese and
English, and a few low scores followed up by the team lead with their outcome.

Written in bulk (invitations and responses are history, not live sends); only the handful of
follow-up tickets go through the ticket services, so they carry their real events and SLA.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from closeloop.core import clock
from closeloop.customers.models import Customer
from closeloop.feedback.models import (
    FollowUpOutcome,
    Invitation,
    InvitationStatus,
    Response,
    Survey,
    SurveyType,
    Trigger,
)
from closeloop.tickets.models import Status, Ticket

CSAT_WEIGHTS = {5: 60, 4: 28, 3: 6, 2: 4, 1: 2}
NPS_WEIGHTS = {10: 26, 9: 24, 8: 16, 7: 12, 6: 7, 5: 5, 4: 4, 3: 3, 2: 1, 1: 1, 0: 1}
GOOD_COMMENTS = [
    ("en", "Quick answer and very polite, thank you!"),
    ("en", "Solved on the first reply."),
    ("zh-hans", "客服很耐心，问题很快就解决了。"),
    ("zh-hans", "回复及时，态度很好，点赞！"),
    ("zh-hans", "物流信息更新得很清楚，谢谢。"),
]
BAD_COMMENTS = [
    ("en", "I had to explain my problem three times."),
    ("en", "The refund took far too long."),
    ("zh-hans", "等了两天才有人回复，太慢了。"),
    ("zh-hans", "换货流程太复杂，希望简化。"),
]
FOLLOW_UP_NOTES = [
    (FollowUpOutcome.RECOVERED, "Called the customer, apologised and refunded the shipping fee."),
    (FollowUpOutcome.RECOVERED, "已致电客户致歉，补发了优惠券，客户表示满意。"),
    (FollowUpOutcome.NOT_RECOVERED, "Customer still unhappy with the repair time; escalated."),
    (FollowUpOutcome.UNREACHABLE, "三次致电未接通，已发送邮件。"),
]
ANSWER_SHARE = 0.45  # of resolved tickets, answered
SENT_SHARE = 0.25  # sent, never answered
FOLLOW_UPS_OPENED = 6  # low scores with a follow-up ticket (the first ones get an outcome)


def _weighted(rng: random.Random, weights: dict[int, int]) -> int:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _survey(survey_type: str, trigger: str) -> Survey:
    survey = Survey.objects.filter(survey_type=survey_type, trigger=trigger).order_by("pk").first()
    if survey is not None:
        return survey
    now = clock.now()
    return Survey.objects.create(
        name=f"{survey_type.upper()} ({trigger})",
        survey_type=survey_type,
        trigger=trigger,
        is_active=trigger == Trigger.RESOLUTION,
        question_en="How satisfied are you with how we handled your request?"
        if survey_type == SurveyType.CSAT
        else "How likely are you to recommend us to a friend or colleague?",
        question_zh="您对我们这次的服务满意吗？"
        if survey_type == SurveyType.CSAT
        else "您有多大可能把我们推荐给朋友或同事？",
        created_at=now,
        updated_at=now,
    )


def install_demo_feedback(*, seed: int = 11) -> dict[str, int]:
    """Add survey invitations and responses for the loaded demo's resolved tickets; return
    counts. Needs the demo's tickets, teams and leads (run after the history is loaded)."""
    from closeloop.feedback.services import (
        response_follow_up_open,
        response_record_follow_up,
        team_lead,
    )

    if Response.objects.exists():
        return {"invitations": 0, "responses": 0, "follow_ups": 0}  # already installed
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    csat = _survey(SurveyType.CSAT, Trigger.RESOLUTION)
    nps = _survey(SurveyType.NPS, Trigger.RELATIONSHIP)
    tickets: list[dict[str, Any]] = [
        dict(row)
        for row in Ticket.objects.filter(
            status__in=[Status.RESOLVED, Status.CLOSED], resolved_at__isnull=False
        )
        .exclude(survey_invitations__isnull=False)
        .order_by("pk")
        .values("pk", "customer_id", "assignee_id", "team_id", "channel", "resolved_at")
    ]
    languages = dict(Customer.objects.values_list("pk", "language"))
    answered: list[tuple[Invitation, dict[str, Any]]] = []
    invitations: list[Invitation] = []
    for row in tickets:
        draw = rng.random()
        resolved_at: datetime = row["resolved_at"]
        sent_at = resolved_at + timedelta(minutes=csat.delay_minutes)
        language = "zh-hans" if (languages.get(row["customer_id"]) or "").startswith("zh") else "en"
        channel = (
            row["channel"]
            if row["channel"] in ("email", "chat", "wechat", "portal", "app")
            else "email"
        )
        invitation = Invitation(
            survey=csat,
            ticket_id=row["pk"],
            customer_id=row["customer_id"],
            agent_id=row["assignee_id"],
            team_id=row["team_id"],
            channel=channel,
            language=language,
            scheduled_at=sent_at,
            sent_at=sent_at,
            expires_at=sent_at + timedelta(days=csat.token_valid_days),
            created_at=resolved_at,
        )
        if draw < ANSWER_SHARE:
            invitation.status = InvitationStatus.ANSWERED
            invitation.answered_at = sent_at + timedelta(minutes=rng.randint(2, 600))
            answered.append((invitation, row))
        elif draw < ANSWER_SHARE + SENT_SHARE:
            invitation.status = InvitationStatus.SENT
        else:
            invitation.status = InvitationStatus.SKIPPED
            invitation.skip_reason = "throttled"
            invitation.sent_at = None
            invitation.expires_at = None
            invitation.channel = ""
        invitations.append(invitation)

    # Relationship NPS: one round a month ago, to a sample of customers.
    now = clock.now()
    round_at = now - timedelta(days=30)
    customer_ids = sorted({row["customer_id"] for row in tickets})
    sample = rng.sample(customer_ids, min(len(customer_ids), max(1, len(customer_ids) // 5)))
    nps_answered: list[Invitation] = []
    for customer_id in sorted(sample):
        invitation = Invitation(
            survey=nps,
            customer_id=customer_id,
            round=round_at.date().isoformat(),
            channel="email",
            language="zh-hans" if (languages.get(customer_id) or "").startswith("zh") else "en",
            scheduled_at=round_at,
            sent_at=round_at,
            expires_at=round_at + timedelta(days=nps.token_valid_days),
            status=InvitationStatus.SENT,
            created_at=round_at,
        )
        if rng.random() < 0.6:
            invitation.status = InvitationStatus.ANSWERED
            invitation.answered_at = round_at + timedelta(hours=rng.randint(1, 72))
            nps_answered.append(invitation)
        invitations.append(invitation)

    with transaction.atomic():
        Invitation.objects.bulk_create(invitations, batch_size=1000)
        responses: list[Response] = []
        for invitation, row in answered:
            score = _weighted(rng, CSAT_WEIGHTS)
            responses.append(_response(rng, invitation, csat, score, row["channel"]))
        for invitation in nps_answered:
            responses.append(_response(rng, invitation, nps, _weighted(rng, NPS_WEIGHTS), "email"))
        Response.objects.bulk_create(responses, batch_size=1000)

    # A few low scores followed up by the lead (through the services: real tickets, real SLA).
    low = list(
        Response.objects.filter(survey=csat, score__lte=csat.low_score_threshold).order_by(
            "-answered_at"
        )[:FOLLOW_UPS_OPENED]
    )
    followed = 0
    for index, response in enumerate(low):
        with transaction.atomic():
            response = response_follow_up_open(response=response)
            lead = team_lead(response.team_id)
            if lead is not None and index < len(FOLLOW_UP_NOTES):
                outcome, note = FOLLOW_UP_NOTES[index]
                response_record_follow_up(response=response, outcome=outcome, note=note, actor=lead)
        followed += 1
    return {
        "invitations": len(invitations),
        "responses": len(responses),
        "follow_ups": followed,
    }


def _response(
    rng: random.Random, invitation: Invitation, survey: Survey, score: int, channel: str
) -> Response:
    is_low = survey.is_low(score)
    comment = ""
    if is_low or rng.random() < 0.25:
        pool = BAD_COMMENTS if is_low else GOOD_COMMENTS
        wanted = [text for language, text in pool if language == invitation.language] or [
            text for _language, text in pool
        ]
        comment = rng.choice(wanted)
    answered_at = invitation.answered_at or clock.now()
    return Response(
        invitation=invitation,
        survey=survey,
        survey_type=survey.survey_type,
        score=score,
        comment=comment,
        ticket_id=invitation.ticket_id,
        customer_id=invitation.customer_id,
        agent_id=invitation.agent_id,
        team_id=invitation.team_id,
        channel=channel if channel in ("email", "chat", "wechat", "portal", "app") else "email",
        language=invitation.language,
        answered_at=answered_at,
        updated_at=answered_at,
    )
