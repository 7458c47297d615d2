"""Survey invitations: scheduled when a ticket is resolved, sent by the worker's sweep through
the channel the customer used, or skipped (throttled, reopened, unreachable) with the reason.

A ticket invitation travels as a public system message on the ticket (meta ``deliver`` and
``survey``): the channels app turns it into a Delivery like a reply (chat rating buttons, a
WeChat text, an email with one-click links, a portal notice), but it does not reopen the
ticket, touch the SLA clocks or count as an agent reply. Relationship NPS invitations have no
ticket and are mailed directly.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _

from closeloop.channels.adapters import PermanentFailure, RetryLater, adapter_for
from closeloop.core import clock
from closeloop.core.errors import ConcurrentChange
from closeloop.customers.models import Customer, IdentityKind
from closeloop.feedback.models import (
    Invitation,
    InvitationStatus,
    Survey,
    SurveyType,
    Trigger,
)
from closeloop.feedback.tokens import survey_url, token_make
from closeloop.tickets.models import Channel, Message, Status, Ticket
from closeloop.tickets.services import Actor, MessageContent, message_add, reply_channel

logger = logging.getLogger(__name__)

ALLOWED: dict[InvitationStatus, frozenset[InvitationStatus]] = {
    InvitationStatus.SCHEDULED: frozenset(
        {InvitationStatus.SENT, InvitationStatus.SKIPPED, InvitationStatus.BLOCKED}
    ),
    # A WeChat invitation the channel refused after it was sent (and no email to fall back to).
    InvitationStatus.SENT: frozenset({InvitationStatus.ANSWERED, InvitationStatus.BLOCKED}),
    InvitationStatus.ANSWERED: frozenset(),
    # Skipped because the ticket was reopened: resolving it again re-arms the invitation.
    InvitationStatus.SKIPPED: frozenset({InvitationStatus.SCHEDULED}),
    # Blocked in WeChat, but the customer found the survey on the portal or a mail.
    InvitationStatus.BLOCKED: frozenset({InvitationStatus.ANSWERED}),
}

REASON_REOPENED = "reopened"
REASON_THROTTLED = "throttled"
REASON_UNREACHABLE = "no reachable channel"
REASON_WECHAT_CLOSED = "WeChat reply window closed and no email address"
REASON_INACTIVE = "survey inactive"
# Channels a survey link cannot go out through: fall back to email, then SMS.
_NO_SURVEY_CHANNELS = frozenset({Channel.PHONE, Channel.API})


def invitation_move(invitation: Invitation, target: InvitationStatus, **fields: Any) -> Invitation:
    """Move an invitation along ``ALLOWED`` with a guarded UPDATE (``ConcurrentChange`` when
    someone else moved it first)."""
    current = InvitationStatus(invitation.status)
    if target not in ALLOWED[current]:
        raise ConcurrentChange(
            _("A survey invitation cannot go from %(current)s to %(target)s.")
            % {"current": current.label, "target": target.label}
        )
    updated = Invitation.objects.filter(pk=invitation.pk, status=current).update(
        status=target, **fields
    )
    if updated != 1:
        raise ConcurrentChange(_("The survey invitation changed meanwhile."))
    invitation.status = target
    for name, value in fields.items():
        setattr(invitation, name, value)
    return invitation


def _language(customer: Customer) -> str:
    language = (customer.language or settings.LANGUAGE_CODE or "en").lower()
    return "zh-hans" if language.startswith("zh") else "en"


@transaction.atomic
def invitations_schedule(*, ticket: Ticket) -> list[Invitation]:
    """Schedule every active after-resolution survey for a just-resolved ticket.

    Bot resolutions are surveyed too: they count toward CSAT like any other. An invitation
    already sent or answered for this ticket is left alone (one survey per ticket); one
    skipped because the ticket was reopened is re-armed.
    """
    now = clock.now()
    resolved_at = ticket.resolved_at or now
    scheduled: list[Invitation] = []
    for survey in Survey.objects.filter(is_active=True, trigger=Trigger.RESOLUTION).order_by("pk"):
        send_at = resolved_at + timedelta(minutes=survey.delay_minutes)
        existing = Invitation.objects.filter(survey=survey, ticket=ticket).first()
        if existing is None:
            try:
                with transaction.atomic():
                    scheduled.append(
                        Invitation.objects.create(
                            survey=survey,
                            ticket=ticket,
                            customer_id=ticket.customer_id,
                            agent_id=ticket.assignee_id,
                            team_id=ticket.team_id,
                            language=_language(ticket.customer),
                            scheduled_at=send_at,
                            created_at=now,
                        )
                    )
            except IntegrityError:
                continue  # scheduled by a concurrent resolution of the same ticket
            continue
        fields = {
            "scheduled_at": send_at,
            "agent_id": ticket.assignee_id,
            "team_id": ticket.team_id,
        }
        if existing.status == InvitationStatus.SCHEDULED:
            Invitation.objects.filter(pk=existing.pk, status=InvitationStatus.SCHEDULED).update(
                **fields
            )
            scheduled.append(existing)
        elif existing.status == InvitationStatus.SKIPPED and existing.skip_reason in (
            REASON_REOPENED,
            REASON_THROTTLED,
        ):
            # Throttling is judged again at the new send time.
            scheduled.append(
                invitation_move(existing, InvitationStatus.SCHEDULED, skip_reason="", **fields)
            )
    return scheduled


@dataclass(frozen=True)
class Route:
    """Where an invitation goes: a channel, or None with the reason it cannot go anywhere."""

    channel: str | None
    reason: str = ""
    blocked: bool = False


def _has_identity(customer_id: int, kind: str) -> bool:
    return (
        Customer.objects.filter(pk=customer_id, identities__kind=kind).exists()
        if customer_id
        else False
    )


def _fallback(ticket: Ticket, *, reason: str, blocked: bool = False) -> Route:
    if _has_identity(ticket.customer_id, IdentityKind.EMAIL):
        return Route(Channel.EMAIL)
    if _has_identity(ticket.customer_id, IdentityKind.PHONE) and settings.CLOSELOOP.get(
        "SMS_GATEWAY_URL"
    ):
        return Route(Channel.SMS)
    return Route(None, reason=reason, blocked=blocked)


def _wechat_window_open(ticket: Ticket) -> bool:
    from closeloop.channels.models import InboundMessage
    from closeloop.channels.wechat.window import window_is_open

    adapter = adapter_for(Channel.WECHAT)
    openid = adapter.recipient(ticket, Message()) if adapter is not None else None
    if not openid:
        return False
    app_id = (
        InboundMessage.objects.filter(channel=Channel.WECHAT, meta__openid=openid)
        .order_by("-received_at", "-id")
        .values_list("meta__app_id", flat=True)
        .first()
    )
    return bool(app_id) and window_is_open(openid, app_id=str(app_id))


def invitation_route(ticket: Ticket) -> Route:
    """The channel a ticket's survey goes out through: the customer's latest one on it.

    Chat: rating buttons in the widget (when a chat visitor is known). WeChat: only inside
    the reply window, else email. Email, portal, app: themselves. Phone (and the API): email,
    else an SMS link when a gateway is configured.
    """
    channel = reply_channel(ticket)
    if channel in _NO_SURVEY_CHANNELS:
        return _fallback(ticket, reason=REASON_UNREACHABLE)
    if channel == Channel.WECHAT and not _wechat_window_open(ticket):
        return _fallback(ticket, reason=REASON_WECHAT_CLOSED, blocked=True)
    adapter = adapter_for(channel)
    if adapter is None or not adapter.sends:
        return _fallback(ticket, reason=REASON_UNREACHABLE)
    if channel != Channel.PORTAL and not adapter.recipient(ticket, Message()):
        return _fallback(ticket, reason=REASON_UNREACHABLE)
    return Route(channel)


def scale_words(survey_type: str) -> tuple[str, str]:
    """The words at both ends of a scale (translated in the active language)."""
    if survey_type == SurveyType.NPS:
        return _("Not at all likely"), _("Extremely likely")
    if survey_type == SurveyType.CES:
        return _("Very difficult"), _("Very easy")
    return _("Very dissatisfied"), _("Very satisfied")


def invitation_text(survey: Survey, token: str, *, channel: str) -> str:
    """The invitation as text (in the active language): the question and, for email, one
    link per score; elsewhere one link to the survey page."""
    low, high = scale_words(survey.survey_type)
    minimum, maximum = survey.scale
    question = survey.question(_active_language())
    lines = [_("Thank you for contacting us."), question, ""]
    if channel in (Channel.EMAIL,):
        lines.append(
            _("Click a score to answer (%(low)s = %(min)d, %(high)s = %(max)d):")
            % {
                "low": low,
                "min": minimum,
                "high": high,
                "max": maximum,
            }
        )
        for score in range(maximum, minimum - 1, -1):
            lines.append(f"{score}: {survey_url(token, score)}")
        lines += ["", _("Or answer and leave a comment here: %(url)s") % {"url": survey_url(token)}]
    elif channel == Channel.CHAT:
        lines.append(
            _("Choose a score below, from %(min)d (%(low)s) to %(max)d (%(high)s).")
            % {
                "min": minimum,
                "low": low,
                "max": maximum,
                "high": high,
            }
        )
    else:
        lines.append(_("Answer here: %(url)s") % {"url": survey_url(token)})
    return "\n".join(lines).strip()


def _active_language() -> str:
    return get_language() or "en"


def _throttled(invitation: Invitation, now: Any) -> bool:
    since = now - timedelta(days=invitation.survey.throttle_days)
    return (
        invitation.survey.throttle_days > 0
        and Invitation.objects.filter(customer_id=invitation.customer_id, sent_at__gte=since)
        .exclude(pk=invitation.pk)
        .exists()
    )


def invitation_send(*, invitation_id: int) -> Invitation | None:
    """Send one due invitation, or skip it with the reason; None when it was not ours to send
    (already sent, skipped or being handled by another worker)."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("survey", "ticket", "ticket__customer", "customer")
            .filter(pk=invitation_id, status=InvitationStatus.SCHEDULED)
            .first()
        )
        if invitation is None:
            return None
        if invitation.ticket is None:
            return _relationship_mail(invitation)
        return _ticket_invitation_send(invitation)


def _ticket_invitation_send(invitation: Invitation) -> Invitation:
    now = clock.now()
    ticket = invitation.ticket
    assert ticket is not None  # noqa: S101 (checked by the caller)
    if not invitation.survey.is_active:
        return invitation_move(invitation, InvitationStatus.SKIPPED, skip_reason=REASON_INACTIVE)
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        return invitation_move(invitation, InvitationStatus.SKIPPED, skip_reason=REASON_REOPENED)
    if _throttled(invitation, now):
        return invitation_move(invitation, InvitationStatus.SKIPPED, skip_reason=REASON_THROTTLED)
    route = invitation_route(ticket)
    if route.channel is None:
        status = InvitationStatus.BLOCKED if route.blocked else InvitationStatus.SKIPPED
        return invitation_move(invitation, status, skip_reason=route.reason, channel="")
    return _post_on_ticket(invitation, ticket, route.channel, now=now)


def _post_on_ticket(
    invitation: Invitation, ticket: Ticket, channel: str, *, now: Any
) -> Invitation:
    survey = invitation.survey
    expires_at = now + timedelta(days=survey.token_valid_days)
    token = token_make(invitation_id=invitation.pk, expires_at=expires_at)
    minimum, maximum = survey.scale
    with override(invitation.language):
        low, high = scale_words(survey.survey_type)
        body = invitation_text(survey, token, channel=channel)
        meta = {
            "deliver": True,
            "survey": {
                "invitation_id": invitation.pk,
                "type": survey.survey_type,
                "min": minimum,
                "max": maximum,
                "low": str(low),
                "high": str(high),
                "question": survey.question(invitation.language),
                "url": survey_url(token),
            },
        }
    message = message_add(
        ticket=ticket,
        body=body,
        actor=Actor.system(),
        is_public=True,
        channel=channel,
        content=MessageContent(meta=meta),
        allow_closed=True,
    )
    return invitation_move(
        invitation,
        InvitationStatus.SENT,
        channel=channel,
        sent_at=now,
        expires_at=expires_at,
        message=message,
    )


def invitation_token(invitation: Invitation) -> str:
    """A fresh link token for an invitation that was sent (the portal shows the survey)."""
    expires_at = invitation.expires_at or clock.now()
    return token_make(invitation_id=invitation.pk, expires_at=expires_at)


def invitations_due(*, limit: int = 500) -> list[int]:
    """Ids of scheduled invitations whose send time has come."""
    return list(
        Invitation.objects.filter(status=InvitationStatus.SCHEDULED, scheduled_at__lte=clock.now())
        .order_by("scheduled_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def invitations_send_due(*, limit: int = 500) -> int:
    """Send (or skip) every due invitation; return how many were handled."""
    handled = 0
    for invitation_id in invitations_due(limit=limit):
        try:
            if invitation_send(invitation_id=invitation_id) is not None:
                handled += 1
        except ConcurrentChange:
            continue
        except Exception:  # one broken ticket must not stop the others
            logger.exception("Sending survey invitation %s failed", invitation_id)
    return handled


# --- the WeChat fallback: an invitation the channel refused after all ------------------------


def invitation_delivery_failed(*, ticket: Ticket, message_id: int, blocked: bool) -> None:
    """A survey message was not delivered: send it by email instead when the customer has an
    address (and it was not email that failed), else record the invitation as blocked."""
    invitation = (
        Invitation.objects.select_related("survey")
        .filter(ticket=ticket, message_id=message_id, status=InvitationStatus.SENT)
        .first()
    )
    if invitation is None:
        return
    if invitation.channel != Channel.EMAIL and _has_identity(
        ticket.customer_id, IdentityKind.EMAIL
    ):
        _post_on_ticket_again(invitation, ticket, Channel.EMAIL)
        return
    invitation_move(
        invitation,
        InvitationStatus.BLOCKED,
        skip_reason=REASON_WECHAT_CLOSED if blocked else REASON_UNREACHABLE,
    )


def _post_on_ticket_again(invitation: Invitation, ticket: Ticket, channel: str) -> None:
    """Send the same invitation through another channel (it stays ``sent``)."""
    token = invitation_token(invitation)
    with override(invitation.language):
        body = invitation_text(invitation.survey, token, channel=channel)
    message = message_add(
        ticket=ticket,
        body=body,
        actor=Actor.system(),
        is_public=True,
        channel=channel,
        content=MessageContent(
            meta={"deliver": True, "survey": {"invitation_id": invitation.pk, "fallback": True}}
        ),
        allow_closed=True,
    )
    Invitation.objects.filter(pk=invitation.pk).update(channel=channel, message=message)


# --- relationship NPS ----------------------------------------------------------------------


def relationship_sample(customer_ids: list[int], *, percent: int, seed: str) -> list[int]:
    """A reproducible sample: the same candidates, percent and seed give the same customers."""
    ordered = sorted(set(customer_ids))
    if not ordered:
        return []
    size = max(1, round(len(ordered) * percent / 100))
    return sorted(random.Random(seed).sample(ordered, min(size, len(ordered))))  # noqa: S311


def relationship_round(*, survey: Survey, force: bool = False) -> list[Invitation]:
    """Start a relationship NPS round when its period has passed: a seeded sample of the
    customers who had contact in the period, not surveyed within the throttle, with an email.

    The round is named by its date; the seed is the survey and the round, so running the
    round again (a second worker, a retry) picks the same customers and creates nothing new.
    """
    now = clock.now()
    last = survey.last_relationship_round_at
    period = timedelta(days=survey.relationship_period_days)
    if not force and last is not None and now - last < period:
        return []
    round_name = now.date().isoformat()
    since = now - period
    contacted = (
        Ticket.objects.filter(created_at__gte=since)
        .values_list("customer_id", flat=True)
        .distinct()
    )
    throttle_since = now - timedelta(days=survey.throttle_days)
    recently = Invitation.objects.filter(sent_at__gte=throttle_since).values_list(
        "customer_id", flat=True
    )
    candidates = list(
        Customer.objects.filter(
            pk__in=contacted, identities__kind=IdentityKind.EMAIL, merged_into__isnull=True
        )
        .exclude(pk__in=recently)
        .values_list("pk", flat=True)
        .distinct()
    )
    chosen = relationship_sample(
        candidates, percent=survey.relationship_sample_percent, seed=f"{survey.pk}:{round_name}"
    )
    with transaction.atomic():
        claimed = (
            Survey.objects.filter(pk=survey.pk)
            .filter(
                Q(last_relationship_round_at__isnull=True)
                | Q(last_relationship_round_at=survey.last_relationship_round_at)
            )
            .update(last_relationship_round_at=now)
        )
        if not claimed:
            return []
        languages = dict(Customer.objects.filter(pk__in=chosen).values_list("pk", "language"))
        rows = [
            Invitation(
                survey=survey,
                customer_id=customer_id,
                round=round_name,
                language="zh-hans" if (languages.get(customer_id) or "").startswith("zh") else "en",
                scheduled_at=now,
                created_at=now,
            )
            for customer_id in chosen
        ]
        Invitation.objects.bulk_create(rows, ignore_conflicts=True)
    # bulk_create with ignore_conflicts returns rows without ids: read them back.
    return list(Invitation.objects.filter(survey=survey, round=round_name, customer_id__in=chosen))


def relationship_rounds_due() -> int:
    """Start the due round of every active relationship survey; return invitations created."""
    total = 0
    for survey in Survey.objects.filter(is_active=True, trigger=Trigger.RELATIONSHIP):
        total += len(relationship_round(survey=survey))
    return total


def _relationship_mail(invitation: Invitation) -> Invitation:
    """Mail a relationship invitation (inside the claiming transaction: a failed mail leaves
    it scheduled for the next sweep)."""
    from closeloop.portal.mail import configured_route, portal_mail_send

    now = clock.now()
    if _throttled(invitation, now):
        return invitation_move(invitation, InvitationStatus.SKIPPED, skip_reason=REASON_THROTTLED)
    address = (
        invitation.customer.identities.filter(kind=IdentityKind.EMAIL)
        .order_by("-created_at")
        .values_list("value", flat=True)
        .first()
    )
    route = configured_route()
    if not address or route is None:
        return invitation_move(invitation, InvitationStatus.SKIPPED, skip_reason=REASON_UNREACHABLE)
    survey = invitation.survey
    expires_at = now + timedelta(days=survey.token_valid_days)
    token = token_make(invitation_id=invitation.pk, expires_at=expires_at)
    with override(invitation.language):
        subject = _("How likely are you to recommend us?")
        body = invitation_text(survey, token, channel=Channel.EMAIL)
    try:
        portal_mail_send(route, to=address, subject=str(subject), body=body)
    except RetryLater as error:
        logger.warning("Relationship survey mail to %s deferred: %s", address, error)
        Invitation.objects.filter(pk=invitation.pk).update(scheduled_at=now + timedelta(minutes=15))
        return invitation
    except PermanentFailure as error:
        return invitation_move(invitation, InvitationStatus.SKIPPED, skip_reason=str(error)[:200])
    return invitation_move(
        invitation,
        InvitationStatus.SENT,
        channel=Channel.EMAIL,
        sent_at=now,
        expires_at=expires_at,
    )
