"""Answers: signed links, one response per invitation, the low-score follow-up, comments."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import signing
from django.db import close_old_connections

from closeloop.core import clock
from closeloop.core.errors import InvalidInput
from closeloop.customers.tests.factories import CustomerFactory
from closeloop.feedback.errors import SurveyClosed, SurveyLinkExpired, SurveyLinkInvalid
from closeloop.feedback.invitations import relationship_round, relationship_sample
from closeloop.feedback.models import (
    CommentTicketPolicy,
    Invitation,
    InvitationStatus,
    Response,
    SurveyType,
    Trigger,
)
from closeloop.feedback.services import (
    Answer,
    invitation_for_token,
    response_record_follow_up,
    response_submit,
)
from closeloop.feedback.tests.factories import only_survey, resolved_ticket, sent_invitation
from closeloop.feedback.tokens import SALT, token_make, token_read
from closeloop.people.models import TeamRole
from closeloop.people.tests.factories import AgentFactory, TeamFactory, lead_of, member
from closeloop.tickets.models import Kind, Priority, Ticket
from closeloop.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


# --- tokens ------------------------------------------------------------------------------------


def test_a_token_names_its_invitation_until_it_expires() -> None:
    expires = clock.now() + timedelta(days=3)
    token = token_make(invitation_id=42, expires_at=expires)
    assert token_read(token).invitation_id == 42
    with clock.frozen_at(expires - timedelta(seconds=1)):
        assert token_read(token).invitation_id == 42
    with clock.frozen_at(expires), pytest.raises(SurveyLinkExpired):
        token_read(token)


@pytest.mark.parametrize(
    "forged",
    [
        "nonsense",
        "",
        # the right shape, signed with another salt (another feature's token)
        signing.dumps({"i": 1, "e": 9_999_999_999}, salt="closeloop.other"),
        # the right salt, but not our secret
        signing.dumps({"i": 1, "e": 9_999_999_999}, salt=SALT, key="not-the-secret"),
    ],
)
def test_forged_tokens_are_refused(forged: str) -> None:
    with pytest.raises(SurveyLinkInvalid):
        token_read(forged)


def test_a_tampered_token_is_refused() -> None:
    token = token_make(invitation_id=7, expires_at=clock.now() + timedelta(days=1))
    payload, _, signature = token.rpartition(":")
    tampered = payload[:-1] + ("A" if payload[-1] != "A" else "B") + ":" + signature
    with pytest.raises(SurveyLinkInvalid):
        token_read(tampered)


# --- one response per invitation -------------------------------------------------------------


def _token(invitation: Invitation) -> str:
    return token_make(invitation_id=invitation.pk, expires_at=invitation.expires_at)


def test_first_answer_records_the_response_with_ticket_agent_and_team() -> None:
    only_survey()
    team = TeamFactory()
    agent = AgentFactory()
    ticket = resolved_ticket(agent=agent, team=team)
    invitation = sent_invitation(ticket)

    response = response_submit(
        invitation=invitation_for_token(_token(invitation)),
        answer=Answer(score=5, comment="Quick and kind"),
    )

    assert (response.score, response.comment, response.survey_type) == (5, "Quick and kind", "csat")
    assert (response.ticket_id, response.agent_id, response.team_id) == (
        ticket.pk,
        agent.pk,
        team.pk,
    )
    assert response.channel == "email"
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ANSWERED
    assert response.follow_up_ticket_id is None


def test_a_second_click_updates_and_never_duplicates() -> None:
    only_survey()
    invitation = sent_invitation(resolved_ticket())
    first = response_submit(invitation=invitation, answer=Answer(score=3, comment="ok"))
    with clock.frozen_at(clock.now() + timedelta(minutes=5)):
        second = response_submit(invitation=invitation, answer=Answer(score=4))
    assert second.pk == first.pk
    assert Response.objects.filter(invitation=invitation).count() == 1
    stored = Response.objects.get(pk=first.pk)
    assert stored.score == 4
    assert stored.comment == "ok"  # a one-click answer keeps the earlier comment
    assert [entry["score"] for entry in stored.history] == [3]
    assert stored.updated_at > stored.answered_at


@pytest.mark.parametrize("score", [0, 6, "5.5", "five", None, -1])
def test_a_score_outside_the_scale_writes_nothing(score: object) -> None:
    only_survey()
    invitation = sent_invitation(resolved_ticket())
    with pytest.raises(InvalidInput) as caught:
        response_submit(invitation=invitation, answer=Answer(score=score))
    assert caught.value.details["field"] == "score"
    assert not Response.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT


def test_nps_takes_zero_to_ten() -> None:
    only_survey(survey_type=SurveyType.NPS)
    invitation = sent_invitation(resolved_ticket())
    assert response_submit(invitation=invitation, answer=Answer(score=0)).score == 0
    assert response_submit(invitation=invitation, answer=Answer(score=10)).score == 10
    with pytest.raises(InvalidInput):
        response_submit(invitation=invitation, answer=Answer(score=11))


def test_a_skipped_invitation_cannot_be_answered() -> None:
    only_survey()
    invitation = Invitation.objects.get(ticket=resolved_ticket())
    Invitation.objects.filter(pk=invitation.pk).update(status=InvitationStatus.SKIPPED)
    with pytest.raises(SurveyClosed):
        response_submit(invitation=invitation, answer=Answer(score=5))
    assert not Response.objects.exists()


def test_an_expired_link_finds_nothing_and_writes_nothing() -> None:
    only_survey(token_valid_days=2)
    invitation = sent_invitation(resolved_ticket())
    token = _token(invitation)
    with (
        clock.frozen_at(invitation.expires_at + timedelta(seconds=1)),
        pytest.raises(SurveyLinkExpired),
    ):
        invitation_for_token(token)
    assert not Response.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_clicks_at_the_same_moment_leave_one_response() -> None:
    only_survey()
    invitation = sent_invitation(resolved_ticket())
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def click(score: int) -> None:
        try:
            barrier.wait()
            for _attempt in range(20):
                try:
                    response_submit(invitation=invitation, answer=Answer(score=score))
                    return
                except Exception as error:  # SQLite: "database is locked" → try again
                    if "locked" not in str(error):
                        raise
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=click, args=(score,)) for score in (4, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Response.objects.filter(invitation=invitation).count() == 1
    assert Response.objects.get(invitation=invitation).score in (4, 5)


# --- the closed loop -------------------------------------------------------------------------


def _team_with_lead():  # noqa: ANN202
    team = TeamFactory()
    lead = lead_of(team)
    agent = AgentFactory()
    member(agent, team, role=TeamRole.MEMBER)
    return team, lead, agent


def test_a_low_csat_opens_one_follow_up_for_the_team_lead_with_a_24h_target() -> None:
    only_survey()
    team, lead, agent = _team_with_lead()
    ticket = resolved_ticket(agent=agent, team=team)
    invitation = sent_invitation(ticket)

    response = response_submit(invitation=invitation, answer=Answer(score=2, comment="Too slow"))

    follow_up = Ticket.objects.get(pk=response.follow_up_ticket_id)
    assert follow_up.kind == Kind.FEEDBACK
    assert follow_up.priority == Priority.HIGH
    assert follow_up.related_to_id == ticket.pk
    assert follow_up.assignee_id == lead.pk
    assert follow_up.team_id == team.pk
    assert f"#{ticket.number}" in follow_up.subject
    assert follow_up.sla_policy_name == "Customer feedback"
    assert follow_up.sla_due_at == follow_up.created_at + timedelta(hours=24)

    # Answering low again (or lower) opens nothing more.
    response_submit(invitation=invitation, answer=Answer(score=1))
    response_submit(invitation=invitation, answer=Answer(score=2))
    assert Ticket.objects.filter(related_to=ticket).count() == 1


def test_an_nps_detractor_opens_a_follow_up_and_a_passive_does_not() -> None:
    only_survey(survey_type=SurveyType.NPS)
    passive = response_submit(invitation=sent_invitation(resolved_ticket()), answer=Answer(score=7))
    assert passive.follow_up_ticket_id is None
    detractor = response_submit(
        invitation=sent_invitation(resolved_ticket()), answer=Answer(score=6)
    )
    assert detractor.follow_up_ticket_id is not None


def test_without_a_team_lead_the_follow_up_waits_in_the_team_queue() -> None:
    only_survey()
    team = TeamFactory()
    ticket = resolved_ticket(team=team)
    response = response_submit(invitation=sent_invitation(ticket), answer=Answer(score=1))
    follow_up = Ticket.objects.get(pk=response.follow_up_ticket_id)
    assert follow_up.assignee_id is None
    assert follow_up.team_id == team.pk


def test_the_low_threshold_is_configurable() -> None:
    only_survey(low_score_threshold=3)
    response = response_submit(
        invitation=sent_invitation(resolved_ticket()), answer=Answer(score=3)
    )
    assert response.follow_up_ticket_id is not None


def test_the_follow_up_outcome_is_recorded_on_the_response() -> None:
    only_survey()
    team, lead, agent = _team_with_lead()
    response = response_submit(
        invitation=sent_invitation(resolved_ticket(agent=agent, team=team)), answer=Answer(score=1)
    )
    recorded = response_record_follow_up(
        response=response, outcome="recovered", note="Called, refunded shipping.", actor=lead
    )
    stored = Response.objects.get(pk=recorded.pk)
    assert (stored.follow_up_outcome, stored.follow_up_note) == (
        "recovered",
        "Called, refunded shipping.",
    )
    assert stored.follow_up_recorded_by_id == lead.pk
    assert stored.follow_up_recorded_at is not None
    with pytest.raises(InvalidInput):
        response_record_follow_up(response=response, outcome="maybe", actor=lead)
    assert Response.objects.get(pk=recorded.pk).follow_up_outcome == "recovered"


def test_a_comment_on_a_good_score_becomes_a_feedback_ticket_when_the_policy_says_always() -> None:
    only_survey(comment_ticket_policy=CommentTicketPolicy.ALWAYS)
    ticket = resolved_ticket()
    response = response_submit(
        invitation=sent_invitation(ticket),
        answer=Answer(score=5, comment="你们的包装可以更环保一些"),
    )
    feedback = Ticket.objects.get(pk=response.comment_ticket_id)
    assert feedback.kind == Kind.FEEDBACK
    assert feedback.related_to_id == ticket.pk
    assert feedback.messages.get().body == "你们的包装可以更环保一些"
    assert feedback.sla_policy_name == "Customer feedback"
    # Updating the answer does not open a second one.
    response_submit(invitation=response.invitation, answer=Answer(score=4, comment="more"))
    assert Ticket.objects.filter(kind=Kind.FEEDBACK, related_to=ticket).count() == 1


def test_low_only_policy_a_good_comment_opens_nothing_a_low_one_shares_the_follow_up() -> None:
    only_survey(comment_ticket_policy=CommentTicketPolicy.LOW_ONLY)
    good = response_submit(
        invitation=sent_invitation(resolved_ticket()), answer=Answer(score=5, comment="Great")
    )
    assert good.comment_ticket_id is None
    low = response_submit(
        invitation=sent_invitation(resolved_ticket()), answer=Answer(score=1, comment="Rude")
    )
    assert low.comment_ticket_id == low.follow_up_ticket_id


def test_resolving_a_feedback_ticket_sends_the_customer_the_survey() -> None:
    only_survey(delay_minutes=0)
    ticket = resolved_ticket(kind=Kind.FEEDBACK)
    invitation = sent_invitation(ticket)
    assert invitation.status == InvitationStatus.SENT


# --- relationship NPS ------------------------------------------------------------------------


def test_the_relationship_sample_is_reproducible_and_sized() -> None:
    candidates = list(range(1, 201))
    first = relationship_sample(candidates, percent=10, seed="1:2026-12-01")
    again = relationship_sample(list(reversed(candidates)), percent=10, seed="1:2026-12-01")
    other = relationship_sample(candidates, percent=10, seed="1:2027-03-01")
    assert first == again
    assert len(first) == 20
    assert first != other
    assert set(first) <= set(candidates)


def test_a_relationship_round_invites_a_sample_of_recent_customers_once() -> None:
    survey = only_survey(
        survey_type=SurveyType.NPS,
        trigger=Trigger.RELATIONSHIP,
        relationship_sample_percent=50,
        relationship_period_days=90,
    )
    customers = [CustomerFactory() for _ in range(10)]
    for customer in customers:
        make_ticket(customer=customer)
    no_email = CustomerFactory(email=None)
    make_ticket(customer=no_email, channel="phone", external_id=None)

    invited = relationship_round(survey=survey)
    assert len(invited) == 5
    assert {i.customer_id for i in invited} <= {c.pk for c in customers}
    assert all(i.ticket_id is None and i.status == "scheduled" for i in invited)
    # Within the period nothing more; the same day forced gives the same customers.
    assert relationship_round(survey=survey) == []
    assert Invitation.objects.filter(survey=survey).count() == 5
