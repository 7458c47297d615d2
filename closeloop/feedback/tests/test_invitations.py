"""Invitations: when they are scheduled, which channel they go through, when they are skipped."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from closeloop.channels.models import Delivery, InboundMessage
from closeloop.core import clock
from closeloop.customers.models import IdentityKind
from closeloop.customers.tests.factories import CustomerFactory, IdentityFactory
from closeloop.feedback.invitations import (
    REASON_REOPENED,
    REASON_THROTTLED,
    REASON_WECHAT_CLOSED,
    invitation_send,
    invitations_due,
    invitations_send_due,
)
from closeloop.feedback.models import Invitation, InvitationStatus, Survey
from closeloop.feedback.tests.factories import (
    SurveyFactory,
    only_survey,
    resolved_ticket,
    sent_invitation,
)
from closeloop.people.tests.factories import AgentFactory, TeamFactory
from closeloop.tickets.models import AuthorKind, Message, Status, Ticket
from closeloop.tickets.services import (
    Actor,
    MessageContent,
    message_add,
    ticket_assign,
    ticket_confirm,
    ticket_resolve,
)
from closeloop.tickets.signals import history_replay
from closeloop.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def test_default_surveys_installed_by_the_migration() -> None:
    csat = Survey.objects.get(name="CSAT after resolution")
    nps = Survey.objects.get(name="Relationship NPS")
    assert (csat.survey_type, csat.trigger, csat.is_active) == ("csat", "resolution", True)
    assert (nps.survey_type, nps.trigger, nps.is_active) == ("nps", "relationship", False)
    assert nps.question_zh
    assert nps.question_en.startswith("How likely")


def test_resolution_schedules_one_invitation_after_the_delay() -> None:
    survey = only_survey(delay_minutes=90)
    team = TeamFactory()
    agent = AgentFactory()
    ticket = resolved_ticket(agent=agent, team=team)

    invitation = Invitation.objects.get(ticket=ticket)
    assert invitation.survey == survey
    assert invitation.status == InvitationStatus.SCHEDULED
    assert invitation.scheduled_at == ticket.resolved_at + timedelta(minutes=90)
    assert (invitation.agent_id, invitation.team_id) == (agent.pk, team.pk)
    assert invitation.customer_id == ticket.customer_id


def test_the_delay_is_at_most_a_day() -> None:
    survey = SurveyFactory.build(delay_minutes=24 * 60 + 1)
    with pytest.raises(ValidationError):
        survey.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyFactory(delay_minutes=24 * 60 + 1)
    assert not Survey.objects.filter(delay_minutes__gt=24 * 60).exists()


def test_a_bot_resolution_is_surveyed_too() -> None:
    only_survey(delay_minutes=0)
    ticket = make_ticket()
    ticket = ticket_resolve(ticket=ticket, actor=Actor.bot())
    invitation = Invitation.objects.get(ticket=ticket)
    assert invitation.agent_id is None
    assert invitation.scheduled_at == ticket.resolved_at


def test_imported_history_is_not_surveyed() -> None:
    only_survey()
    agent = AgentFactory()
    with history_replay():
        resolved_ticket(agent=agent)
    assert not Invitation.objects.exists()


def test_nothing_is_sent_before_the_delay() -> None:
    only_survey(delay_minutes=60)
    ticket = resolved_ticket()
    invitation = Invitation.objects.get(ticket=ticket)
    with clock.frozen_at(invitation.scheduled_at - timedelta(seconds=1)):
        assert invitations_due() == []
        assert invitations_send_due() == 0
    with clock.frozen_at(invitation.scheduled_at):
        assert invitations_due() == [invitation.pk]
        assert invitations_send_due() == 1
        assert invitations_send_due() == 0  # idempotent: sent once
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT
    assert invitation.sent_at == invitation.scheduled_at


def test_email_invitation_is_a_system_message_that_changes_nothing_else() -> None:
    only_survey()
    ticket = resolved_ticket(channel="email")
    before = Ticket.objects.get(pk=ticket.pk)

    invitation = sent_invitation(ticket)

    assert invitation.channel == "email"
    message = Message.objects.get(pk=invitation.message_id)
    assert message.author_kind == AuthorKind.SYSTEM
    assert message.is_public
    assert message.meta["survey"]["invitation_id"] == invitation.pk
    assert "/survey/" in message.body
    assert "/5/" in message.body
    assert "/1/" in message.body
    delivery = Delivery.objects.get(message=message)
    assert delivery.channel == "email"
    assert delivery.recipient == ticket.customer.identities.get(kind=IdentityKind.EMAIL).value
    after = Ticket.objects.get(pk=ticket.pk)
    assert after.status == Status.RESOLVED
    assert after.public_agent_reply_count == before.public_agent_reply_count
    assert after.first_responded_at == before.first_responded_at
    assert after.last_agent_reply_at == before.last_agent_reply_at
    assert after.reopen_count == 0


def test_reopened_before_sending_is_skipped_and_rearmed_on_the_next_resolution() -> None:
    only_survey(delay_minutes=30)
    agent = AgentFactory()
    ticket = resolved_ticket(agent=agent)
    message_add(ticket=ticket, body="It still has not arrived.", actor=Actor.customer())
    invitation = Invitation.objects.get(ticket=ticket)

    with clock.frozen_at(invitation.scheduled_at):
        invitation_send(invitation_id=invitation.pk)
    invitation.refresh_from_db()
    assert (invitation.status, invitation.skip_reason) == ("skipped", REASON_REOPENED)
    assert not Message.objects.filter(ticket=ticket, author_kind=AuthorKind.SYSTEM).exists()

    later = invitation.scheduled_at + timedelta(hours=2)
    with clock.frozen_at(later):
        ticket = ticket_resolve(
            ticket=Ticket.objects.get(pk=ticket.pk), actor=Actor.of_agent(agent)
        )
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SCHEDULED
    assert invitation.scheduled_at == later + timedelta(minutes=30)
    assert Invitation.objects.filter(ticket=ticket).count() == 1


def test_a_customer_is_surveyed_once_per_throttle_period() -> None:
    only_survey(delay_minutes=0, throttle_days=7)
    customer = CustomerFactory()
    first = sent_invitation(resolved_ticket(customer=customer))
    assert first.status == InvitationStatus.SENT

    second_ticket = resolved_ticket(customer=customer)
    second = Invitation.objects.get(ticket=second_ticket)
    invitation_send(invitation_id=second.pk)
    second.refresh_from_db()
    assert (second.status, second.skip_reason) == ("skipped", REASON_THROTTLED)

    with clock.frozen_at(first.sent_at + timedelta(days=7, minutes=1)):
        third = sent_invitation(resolved_ticket(customer=customer))
    assert third.status == InvitationStatus.SENT


def test_a_confirmed_and_closed_ticket_still_gets_its_survey_and_stays_closed() -> None:
    only_survey()
    ticket = resolved_ticket()
    ticket_confirm(ticket=ticket, actor=Actor.customer())
    invitation = sent_invitation(ticket)
    assert invitation.status == InvitationStatus.SENT
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED


# --- the channel -----------------------------------------------------------------------------


def _chat_ticket() -> Ticket:
    agent = AgentFactory()
    ticket = make_ticket(
        channel="chat",
        external_id="visitor-1:c1",
        content=MessageContent(meta={"visitor_id": "visitor-1"}),
    )
    ticket = ticket_assign(ticket=ticket, assignee=agent, actor=Actor.system())
    message_add(ticket=ticket, body="Hello", actor=Actor.of_agent(agent))
    return ticket_resolve(ticket=Ticket.objects.get(pk=ticket.pk), actor=Actor.of_agent(agent))


def test_chat_invitation_goes_to_the_widget_with_the_scale() -> None:
    only_survey()
    invitation = sent_invitation(_chat_ticket())
    assert invitation.channel == "chat"
    message = Message.objects.get(pk=invitation.message_id)
    survey = message.meta["survey"]
    assert (survey["min"], survey["max"], survey["type"]) == (1, 5, "csat")
    assert survey["url"].startswith("http")
    assert "/survey/" in survey["url"]
    assert Delivery.objects.get(message=message).recipient == "visitor-1"


OPENID = "oUser-survey-1"
APP_ID = "wx-survey"


def _wechat_ticket(*, written_at, with_email: bool = True) -> Ticket:  # noqa: ANN001
    customer = CustomerFactory() if with_email else CustomerFactory(email=None)
    IdentityFactory(customer=customer, kind=IdentityKind.WECHAT, value=OPENID)
    InboundMessage.objects.create(
        channel="wechat",
        external_id=f"{APP_ID}:{int(written_at.timestamp())}",
        raw=b"<xml/>",
        meta={
            "openid": OPENID,
            "app_id": APP_ID,
            "msg_type": "text",
            "created": int(written_at.timestamp()),
        },
        received_at=written_at,
    )
    agent = AgentFactory()
    with clock.frozen_at(written_at):
        ticket = make_ticket(
            customer=customer, channel="wechat", content=MessageContent(meta={"openid": OPENID})
        )
        ticket = ticket_assign(ticket=ticket, assignee=agent, actor=Actor.system())
        message_add(ticket=ticket, body="ok", actor=Actor.of_agent(agent), channel="email")
    return ticket_resolve(ticket=Ticket.objects.get(pk=ticket.pk), actor=Actor.of_agent(agent))


def test_wechat_invitation_inside_the_reply_window() -> None:
    only_survey(delay_minutes=60)
    ticket = _wechat_ticket(written_at=clock.now() - timedelta(hours=2))
    invitation = Invitation.objects.get(ticket=ticket)
    with clock.frozen_at(ticket.resolved_at + timedelta(hours=1)):
        invitation_send(invitation_id=invitation.pk)
    invitation.refresh_from_db()
    assert invitation.channel == "wechat"
    message = Message.objects.get(pk=invitation.message_id)
    assert "/survey/" in message.body  # WeChat gets one link to the survey page
    assert Delivery.objects.get(message=message).recipient == OPENID


def test_wechat_outside_the_window_falls_back_to_email() -> None:
    only_survey(delay_minutes=60)
    ticket = _wechat_ticket(written_at=clock.now() - timedelta(hours=50))
    invitation = sent_invitation(ticket)
    assert invitation.channel == "email"
    delivery = Delivery.objects.get(message_id=invitation.message_id)
    assert delivery.channel == "email"
    assert "@" in delivery.recipient


def test_wechat_outside_the_window_without_email_is_recorded_as_blocked() -> None:
    only_survey(delay_minutes=60)
    ticket = _wechat_ticket(written_at=clock.now() - timedelta(hours=50), with_email=False)
    invitation = Invitation.objects.get(ticket=ticket)
    with clock.frozen_at(invitation.scheduled_at):
        invitation_send(invitation_id=invitation.pk)
    invitation.refresh_from_db()
    assert (invitation.status, invitation.skip_reason) == ("blocked", REASON_WECHAT_CLOSED)
    assert invitation.message_id is None
    assert not Delivery.objects.filter(ticket=ticket, message__author_kind="system").exists()


def test_wechat_delivery_refused_later_is_resent_by_email() -> None:
    from closeloop.tickets.services import ticket_record_delivery_failure

    only_survey(delay_minutes=60)
    ticket = _wechat_ticket(written_at=clock.now() - timedelta(hours=2))
    invitation = Invitation.objects.get(ticket=ticket)
    with clock.frozen_at(ticket.resolved_at + timedelta(hours=1)):
        invitation_send(invitation_id=invitation.pk)
    invitation.refresh_from_db()
    assert invitation.channel == "wechat"
    ticket_record_delivery_failure(
        ticket=ticket,
        message_id=invitation.message_id,
        channel="wechat",
        reason="window",
        blocked=True,
    )
    invitation.refresh_from_db()
    assert (invitation.status, invitation.channel) == ("sent", "email")
    assert Delivery.objects.get(message_id=invitation.message_id).channel == "email"


def test_portal_invitation_is_posted_on_the_portal_ticket() -> None:
    only_survey()
    ticket = resolved_ticket(channel="portal")
    invitation = sent_invitation(ticket)
    assert invitation.channel == "portal"
    assert Delivery.objects.get(message_id=invitation.message_id).channel == "portal"


def test_phone_invitation_goes_by_email() -> None:
    only_survey()
    invitation = sent_invitation(resolved_ticket(channel="phone"))
    assert invitation.channel == "email"


def test_phone_customer_without_email_or_sms_is_skipped() -> None:
    only_survey()
    customer = CustomerFactory(email=None)
    ticket = resolved_ticket(customer=customer, channel="phone")
    invitation = Invitation.objects.get(ticket=ticket)
    with clock.frozen_at(invitation.scheduled_at):
        invitation_send(invitation_id=invitation.pk)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SKIPPED
    assert invitation.skip_reason == "no reachable channel"
