"""Emerging problems: category spikes against their own history, clusters of similar new
tickets (English and Chinese), and never proposing the same thing twice."""

from __future__ import annotations

from datetime import timedelta

import pytest

from closeloop.analytics.detection import (
    clusters_find,
    poisson_tail,
    problems_detect,
    spikes_find,
)
from closeloop.analytics.models_problems import DetectionSource, Problem, ProblemStatus
from closeloop.analytics.problems import problem_transition
from closeloop.analytics.tests.factories import at, category, ticket
from closeloop.core import clock
from closeloop.tickets.models import AuthorKind, Message

pytestmark = pytest.mark.django_db

NOW = at(days=60, hours=12)


@pytest.fixture(autouse=True)
def _english():  # noqa: ANN202
    """Proposal titles are checked in English, whatever an earlier test activated."""
    from django.utils import translation

    with translation.override("en"):
        yield


def with_message(subject: str, body: str, created):  # noqa: ANN001, ANN201
    row = ticket(created=created, subject=subject)
    Message.objects.create(
        ticket=row,
        author_kind=AuthorKind.CUSTOMER,
        body=body,
        created_at=created,
    )
    return row


def test_poisson_tail_by_hand() -> None:
    # λ = 1: P(X ≥ 1) = 1 − e^-1 = 0.6321; P(X ≥ 3) = 1 − e^-1 (1 + 1 + 1/2) = 0.0803.
    assert poisson_tail(1, 1.0) == pytest.approx(0.63212, abs=1e-5)
    assert poisson_tail(3, 1.0) == pytest.approx(0.08030, abs=1e-5)
    assert poisson_tail(0, 5.0) == 1.0


def test_a_spike_against_the_same_weekdays_is_proposed_once() -> None:
    billing = category("billing")
    steady = category("steady")
    # History: billing 1 ticket in each of the same day 1…8 weeks back (λ = 1); steady 6 a day.
    for week in range(1, 9):
        day = NOW - timedelta(weeks=week, hours=2)
        ticket(created=day, category=billing)
        for _i in range(6):
            ticket(created=day, category=steady)
    # Today: billing 7 (P(X ≥ 7 | λ=1) ≈ 8.3e-5 < 0.001), steady 7 (P(X ≥ 7 | λ=6) ≈ 0.39).
    for _i in range(7):
        ticket(created=NOW - timedelta(hours=3), category=billing)
        ticket(created=NOW - timedelta(hours=3), category=steady)

    spikes = [s for s in spikes_find(NOW) if s["window"] == "day"]
    assert [(s["category_id"], s["count"], s["expected"]) for s in spikes] == [(billing.pk, 7, 1.0)]
    first = problems_detect(now=NOW)
    assert len(first.spikes) == 1
    problem = first.spikes[0]
    assert problem.status == ProblemStatus.PROPOSED
    assert problem.source == DetectionSource.SPIKE
    assert problem.category == billing
    assert problem.evidence["history"] == [1] * 8
    assert problem.tickets.count() == 7  # today's billing tickets, behind the spike
    assert problem.title.startswith("Spike in billing: 7 tickets in a day")
    # A second run (the next sweep, or the button) proposes nothing new.
    again = problems_detect(now=NOW + timedelta(minutes=10))
    assert again.spikes == []
    assert Problem.objects.filter(source=DetectionSource.SPIKE).count() == 1


def test_below_the_minimum_count_is_no_spike() -> None:
    rare = category("rare")
    # Nothing in eight weeks, 4 today: surprising, but fewer than SPIKE_MIN_COUNT (5).
    for _i in range(4):
        ticket(created=NOW - timedelta(hours=1), category=rare)
    assert spikes_find(NOW) == []


ENGLISH_CLUSTER = [
    ("Card payment declined at checkout", "My card payment was declined at checkout today"),
    ("Payment declined", "Checkout says my card payment is declined"),
    ("Checkout card declined again", "Card declined at checkout, payment failed"),
    ("Cannot pay: card declined", "The checkout page declined my card payment"),
    ("Declined card payment", "Payment with my card declined during checkout"),
]
CHINESE_CLUSTER = [
    ("退款一直没有到账", "我申请的退款一直没有到账，已经一周了"),
    ("退款没到账", "退款到现在还没有到账"),
    ("退款迟迟不到账", "请问退款什么时候到账"),
    ("申请退款后没有到账", "退款申请通过了但是没有到账"),
    ("退款未到账", "我的退款一直未到账，请处理"),
]
NOISE = [
    ("Change delivery address", "Please change the delivery address for my order"),
    ("Invoice needed", "Can you send me an invoice for last month"),
    ("修改收货地址", "我想修改订单的收货地址"),
    ("How to reset password", "I forgot my password and cannot log in"),
]


def test_clusters_of_similar_tickets_in_english_and_chinese() -> None:
    for index, (subject, body) in enumerate(ENGLISH_CLUSTER + CHINESE_CLUSTER + NOISE):
        with_message(subject, body, NOW - timedelta(hours=1 + index))
    # An old ticket, outside the 48-hour window, is not clustered.
    with_message("Card declined", "card payment declined at checkout", NOW - timedelta(days=5))

    clusters = clusters_find(NOW)
    assert len(clusters) == 2
    sizes = sorted(len(c["ticket_ids"]) for c in clusters)
    assert sizes == [5, 5]
    terms = {term for c in clusters for term in c["terms"]}
    assert "declined" in terms
    assert "退款" in terms or "到账" in terms

    result = problems_detect(now=NOW)
    assert len(result.clusters) == 2
    for problem in result.clusters:
        assert problem.status == ProblemStatus.PROPOSED
        assert problem.tickets.count() == 5
    # Proposed once: the tickets are under an active problem now.
    assert problems_detect(now=NOW + timedelta(minutes=5)).clusters == []


def test_a_rejected_cluster_is_not_proposed_again() -> None:
    for index, (subject, body) in enumerate(ENGLISH_CLUSTER):
        with_message(subject, body, NOW - timedelta(hours=1 + index))
    [problem] = problems_detect(now=NOW).clusters
    problem_transition(problem=problem, actor=None, to=ProblemStatus.REJECTED)
    assert problems_detect(now=NOW + timedelta(hours=1)).clusters == []


def test_too_few_similar_tickets_are_no_cluster() -> None:
    for index, (subject, body) in enumerate(ENGLISH_CLUSTER[:4] + NOISE):
        with_message(subject, body, NOW - timedelta(hours=1 + index))
    assert clusters_find(NOW) == []


def test_the_sweep_runs_at_most_hourly() -> None:
    from django.core.cache import cache

    from closeloop.analytics.tasks_problems import CACHE_KEY, problems_detect_task

    cache.delete(CACHE_KEY)
    for index, (subject, body) in enumerate(ENGLISH_CLUSTER):
        with_message(subject, body, clock.now() - timedelta(hours=1 + index))
    assert problems_detect_task.call() == {"spikes": 0, "clusters": 1}
    assert problems_detect_task.call() == {"skipped": 1}
    cache.delete(CACHE_KEY)
