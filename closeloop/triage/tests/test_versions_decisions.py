"""Triage decisions: the confidence threshold, corrections, training examples, the list."""

import pytest

from closeloop.core.errors import InvalidInput
from closeloop.people.access import Requester
from closeloop.people.tests.factories import AgentFactory, TeamFactory
from closeloop.tickets.services import Actor, ticket_assign, ticket_resolve, ticket_start
from closeloop.tickets.tests.factories import make_ticket
from closeloop.triage.decisions import (
    needs_triage_tickets,
    training_examples,
    triage_correct,
    triage_record,
)
from closeloop.triage.models import Category, TicketTriage, TriageCorrection, TriageSettings

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_settings():
    TriageSettings.clear_cache()
    yield
    TriageSettings.clear_cache()


def category(code):
    return Category.objects.get(code=code)


def requester(agent, *, is_admin=False, team_ids=()):
    return Requester(user=agent.user, agent=agent, is_admin=is_admin, team_ids=frozenset(team_ids))


@pytest.mark.parametrize(
    ("confidence", "needs_triage"), [(0.49, True), (0.5, False), (0.93, False), (None, True)]
)
def test_record_below_the_default_threshold_needs_triage(confidence, needs_triage):
    ticket = make_ticket()
    record = triage_record(
        ticket=ticket, category=category("refund"), confidence=confidence, version=3
    )
    assert record.needs_triage is needs_triage
    assert record.classifier_version == 3
    assert record.reason == {"threshold": 0.5}
    assert TicketTriage.objects.get(ticket=ticket).category.code == "refund"


def test_record_uses_the_settings_threshold_or_the_one_given():
    TriageSettings.objects.update_or_create(id=1, defaults={"confidence_threshold": 0.8})
    ticket = make_ticket()
    assert triage_record(
        ticket=ticket, category=category("refund"), confidence=0.7, version=1
    ).needs_triage
    record = triage_record(
        ticket=ticket, category=category("refund"), confidence=0.7, version=1, threshold=0.6
    )
    assert not record.needs_triage
    assert TicketTriage.objects.count() == 1


def test_record_without_a_category_needs_triage():
    record = triage_record(ticket=make_ticket(), category=None, confidence=0.99, version=None)
    assert record.needs_triage
    assert record.category is None


@pytest.mark.parametrize(("confidence", "threshold"), [(1.2, None), (0.5, -0.1)])
def test_record_refuses_values_outside_0_1(confidence, threshold):
    with pytest.raises(InvalidInput):
        triage_record(
            ticket=make_ticket(),
            category=None,
            confidence=confidence,
            version=None,
            threshold=threshold,
        )
    assert not TicketTriage.objects.exists()


def test_correction_clears_needs_triage_and_is_kept():
    agent = AgentFactory()
    ticket = make_ticket()
    triage_record(ticket=ticket, category=category("return"), confidence=0.3, version=2)

    record = triage_correct(ticket=ticket, category=category("exchange"), agent=agent)

    assert (record.category.code, record.needs_triage, record.source) == (
        "exchange",
        False,
        "agent",
    )
    assert record.classifier_version == 2
    assert record.reason["from_category"] == "return"
    assert record.reason["classifier_confidence"] == 0.3
    correction = TriageCorrection.objects.get()
    assert (correction.from_category.code, correction.to_category.code, correction.agent) == (
        "return",
        "exchange",
        agent,
    )


def test_setting_the_same_category_twice_records_one_correction():
    agent = AgentFactory()
    ticket = make_ticket()
    triage_correct(ticket=ticket, category=category("exchange"), agent=agent)
    triage_correct(ticket=ticket, category=category("exchange"), agent=agent)
    assert TriageCorrection.objects.count() == 1


def test_the_classifier_does_not_overwrite_an_agent():
    ticket = make_ticket()
    triage_correct(ticket=ticket, category=category("invoice"), agent=AgentFactory())
    record = triage_record(ticket=ticket, category=category("refund"), confidence=0.99, version=5)
    assert record.category.code == "invoice"
    assert record.source == "agent"


@pytest.mark.parametrize("code", ["process-approval", "product"])
def test_correction_to_a_group_is_refused(code):
    ticket = make_ticket()
    with pytest.raises(InvalidInput):
        triage_correct(ticket=ticket, category=category(code), agent=AgentFactory())
    assert not TriageCorrection.objects.exists()
    assert not TicketTriage.objects.exists()


def test_confident_and_corrected_tickets_become_training_examples():
    agent = AgentFactory()
    confident = make_ticket(subject="Refund please", body="I want my money back")
    unsure = make_ticket(subject="Hmm", body="something odd")
    corrected = make_ticket(subject="发票抬头错了", body="请重新开具发票")
    triage_record(ticket=confident, category=category("refund"), confidence=0.9, version=1)
    triage_record(ticket=unsure, category=category("refund"), confidence=0.2, version=1)
    triage_record(ticket=corrected, category=category("refund"), confidence=0.2, version=1)
    triage_correct(ticket=corrected, category=category("invoice"), agent=agent)

    assert list(training_examples()) == [
        ("Refund please\nI want my money back", "refund"),
        ("发票抬头错了\n请重新开具发票", "invoice"),
    ]


def test_inactive_categories_are_left_out_of_training():
    ticket = make_ticket()
    triage_record(ticket=ticket, category=category("coupon"), confidence=0.9, version=1)
    Category.objects.filter(code="coupon").update(is_active=False)
    assert list(training_examples()) == []


def test_needs_triage_list_shows_open_visible_tickets_oldest_first():
    agent = AgentFactory()
    secret_team = TeamFactory(is_restricted=True)
    first, second, done, sure, secret = (make_ticket() for _ in range(5))
    for ticket in (first, second, done, secret):
        triage_record(ticket=ticket, category=None, confidence=None, version=1)
    triage_record(ticket=sure, category=category("refund"), confidence=0.9, version=1)
    actor = Actor.of_agent(agent)
    ticket_assign(ticket=done, assignee=agent, actor=actor)
    ticket_start(ticket=done, actor=actor)
    ticket_resolve(ticket=done, actor=actor)
    secret.team = secret_team
    secret.save()

    assert list(needs_triage_tickets(requester(agent))) == [first, second]
    assert list(needs_triage_tickets(requester(agent, team_ids=[secret_team.pk]))) == [
        first,
        second,
        secret,
    ]
