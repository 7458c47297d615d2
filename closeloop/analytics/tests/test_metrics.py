"""Each metric on a tiny fixture whose expected value is worked out by hand in the test."""

from __future__ import annotations

import pytest

from closeloop.analytics.metrics import (
    Direction,
    Scope,
    all_metrics,
    measure,
    median,
    metric_get,
    p90,
)
from closeloop.analytics.tests.factories import (
    at,
    category,
    clock_row,
    response,
    review,
    survey,
    ticket,
)
from closeloop.core.errors import InvalidInput
from closeloop.customers.tests.factories import CustomerFactory
from closeloop.knowledge.models import (
    ArticleUse,
    BotConversation,
    BotOutcome,
    SelfServiceSuccess,
    UseKind,
)
from closeloop.knowledge.tests.factories import make_article
from closeloop.people.tests.factories import AgentFactory, TeamFactory

WEEK = (at(0), at(days=7))
EVERYTHING = Scope()


def value(key: str, scope: Scope = EVERYTHING, period: tuple = WEEK) -> tuple:
    result = measure(key, scope, *period)
    return result.value, result.numerator, result.sample


def test_percentiles_by_hand() -> None:
    # median of 1..4 is (2+3)/2; p90 nearest rank: ceil(0.9*10)=9th of 1..10 → 9.
    assert median([4, 1, 3, 2]) == 2.5
    assert p90(list(range(1, 11))) == 9
    assert p90([7]) == 7


def test_registry_has_every_design_metric_with_unit_and_direction() -> None:
    keys = {m.key for m in all_metrics()}
    assert {
        "volume",
        "first_response_median",
        "first_response_p90",
        "first_response_business_median",
        "resolution_business_p90",
        "response_on_time_rate",
        "resolution_on_time_rate",
        "sla_breach_rate",
        "first_contact_resolution",
        "reopen_rate",
        "repeat_contact_rate",
        "csat",
        "nps",
        "ces",
        "complaint_rate",
        "bot_share",
        "self_service_share",
        "knowledge_use_rate",
        "escalated_resolution_rate",
        "qa_pass_rate",
    } <= keys
    assert metric_get("csat").direction == Direction.HIGHER_IS_BETTER
    assert metric_get("complaint_rate").is_better(5.0, 10.0)


def test_unknown_metric_and_unsupported_scope_are_refused() -> None:
    with pytest.raises(InvalidInput) as unknown:
        metric_get("happiness")
    assert unknown.value.details == {"field": "metric"}
    with pytest.raises(InvalidInput) as narrowed:
        measure("bot_share", Scope(team_id=1), *WEEK)
    assert narrowed.value.details == {"field": "team_id"}


@pytest.mark.django_db
def test_volume_and_complaint_rate_by_touchpoint() -> None:
    # In the week: 3 after-sale (2 complaints), 1 pre-sale complaint; one after-sale complaint
    # a day after the week (out). After-sale complaint rate = 2/3 = 66.67 %; all = 3/4 = 75 %.
    ticket(created=at(1), kind="complaint", touchpoint="after_sale")
    ticket(created=at(2), kind="complaint", touchpoint="after_sale")
    ticket(created=at(3), kind="inquiry", touchpoint="after_sale")
    ticket(created=at(4), kind="complaint", touchpoint="pre_sale")
    ticket(created=at(days=8), kind="complaint", touchpoint="after_sale")
    after_sale = Scope(touchpoint="after_sale")
    assert value("volume") == (4.0, 4, 4)
    assert value("complaint_rate", after_sale) == (pytest.approx(200 / 3), 2, 3)
    assert value("complaint_rate") == (75.0, 3, 4)
    assert value("complaint_rate", period=(at(days=20), at(days=21))) == (None, 0, 0)


@pytest.mark.django_db
def test_first_response_and_resolution_times_wall_clock() -> None:
    # First responses after 10, 20, 30, 100 minutes (one ticket never answered):
    # median (20+30)/2 = 25; p90 rank ceil(3.6)=4 → 100.
    for minutes in (10, 20, 30, 100):
        ticket(created=at(1), first_responded_at=at(1 + minutes / 60))
    ticket(created=at(1))
    assert value("first_response_median") == (25.0, 25.0, 4)
    assert value("first_response_p90") == (100.0, 100.0, 4)
    # Resolution: two resolved in the week, after 180 and 60 minutes → median 120; a resolved
    # ticket opened earlier counts by its resolution time; one reopened (in progress) does not.
    ticket(created=at(-2), status="resolved", resolved_at=at(1))
    ticket(created=at(4), status="closed", resolved_at=at(5))
    ticket(created=at(2), status="in_progress", resolved_at=at(3))
    assert value("resolution_median") == (120.0, 120.0, 2)


@pytest.mark.django_db
def test_business_minutes_come_from_clocks_on_their_calendar() -> None:
    # cn-workdays opens 09:00–18:00 Asia/Shanghai = 01:00–10:00 UTC on weekdays.
    # Clock A: Mon 09:00 UTC → Tue 02:00 UTC = 1 h Monday (09–10) + 1 h Tuesday (01–02)
    # = 120 business minutes, 30 of them paused → 90. Clock B (24x7): 45 minutes.
    # Median (45+90)/2 = 67.5.
    first = ticket(created=at(9), first_responded_at=at(26))
    second = ticket(created=at(9), first_responded_at=at(9.75))
    clock_row(
        first,
        metric="first_response",
        started=at(9),
        due=at(40),
        stopped=at(26),
        paused_minutes=30,
        calendar="cn-workdays",
    )
    clock_row(second, metric="first_response", started=at(9), due=at(10), stopped=at(9.75))
    assert value("first_response_business_median") == (67.5, 67.5, 2)
    assert value("first_response_business_p90") == (90.0, 90.0, 2)
    # Wall clock for the same tickets: 17 h and 45 min.
    assert value("first_response_median") == ((17 * 60 + 45) / 2, (17 * 60 + 45) / 2, 2)


@pytest.mark.django_db
def test_on_time_rates_count_stopped_or_overdue_clocks() -> None:
    # Met (stopped before due), missed (stopped after due), overdue (running past due),
    # not yet due (running, due after the period): 1 met of 3 decided = 33.3 %.
    # A paused clock past its due time is not overdue (its due time moves on resume).
    rows = [ticket(created=at(1)) for _ in range(5)]
    clock_row(rows[0], metric="first_response", started=at(1), due=at(2), stopped=at(1.5))
    clock_row(rows[1], metric="first_response", started=at(1), due=at(2), stopped=at(3))
    clock_row(rows[2], metric="first_response", started=at(1), due=at(2))
    clock_row(rows[3], metric="first_response", started=at(1), due=at(days=9))
    paused = clock_row(rows[4], metric="first_response", started=at(1), due=at(2))
    type(paused).objects.filter(pk=paused.pk).update(paused_since=at(1.5))
    assert value("response_on_time_rate") == (pytest.approx(100 / 3), 1, 3)
    clock_row(rows[0], metric="resolution", started=at(1), due=at(20), stopped=at(10))
    assert value("resolution_on_time_rate") == (100.0, 1, 1)


@pytest.mark.django_db
def test_breach_fcr_reopen_and_escalated_resolution() -> None:
    # 4 opened: 1 breached → 25 %.
    ticket(created=at(1), sla_breached_at=at(3))
    # Resolved in the week: A one reply no reopen (FCR), B two replies, C one reply reopened
    # once: FCR 1/3, reopen rate 1/3.
    ticket(created=at(1), status="resolved", resolved_at=at(2), public_agent_reply_count=1)
    ticket(created=at(1), status="closed", resolved_at=at(2), public_agent_reply_count=2)
    ticket(
        created=at(1),
        status="resolved",
        resolved_at=at(5),
        public_agent_reply_count=1,
        reopen_count=1,
        escalated_at=at(2),
        escalation_level=1,
    )
    assert value("sla_breach_rate") == (25.0, 1, 4)
    assert value("first_contact_resolution") == (pytest.approx(100 / 3), 1, 3)
    assert value("reopen_rate") == (pytest.approx(100 / 3), 1, 3)
    # Escalated: the reopened one (now resolved) and one still open → 1/2.
    ticket(created=at(2), status="in_progress", escalated_at=at(3), escalation_level=2)
    assert value("escalated_resolution_rate") == (50.0, 1, 2)


@pytest.mark.django_db
def test_repeat_contact_same_customer_same_category_within_seven_days() -> None:
    # Customer A: battery ticket day 0, battery day 3 (repeat), screen day 4 (other category).
    # Customer B: battery day 1 (first for B). A battery on day 11 is 8 days after day 3: not.
    # Period = days 0–12: 1 repeat of 5 tickets = 20 %.
    product = category("t-product")
    battery = category("t-battery", product)
    screen = category("t-screen", product)
    first, second = CustomerFactory(), CustomerFactory()
    ticket(created=at(days=0), customer=first, category=battery)
    ticket(created=at(days=3), customer=first, category=battery)
    ticket(created=at(days=4), customer=first, category=screen)
    ticket(created=at(days=1), customer=second, category=battery)
    ticket(created=at(days=11), customer=first, category=battery)
    assert value("repeat_contact_rate", period=(at(0), at(days=12))) == (20.0, 1, 5)
    # Scoped to the product family (its descendants): the same 5 tickets.
    scoped = Scope(category_id=product.pk)
    assert value("repeat_contact_rate", scoped, (at(0), at(days=12))) == (20.0, 1, 5)
    # Scoped to screen only: 1 ticket, no repeat.
    assert value("volume", Scope(category_id=screen.pk), (at(0), at(days=12)))[2] == 1


@pytest.mark.django_db
def test_scope_by_team_channel_kind_priority_segment_agent() -> None:
    team, agent = TeamFactory(), AgentFactory()
    vip = CustomerFactory(segment="vip")
    ticket(created=at(1), team=team, channel="chat", kind="complaint", priority="high")
    ticket(created=at(1), team=team, channel="email", assignee=agent, customer=vip)
    ticket(created=at(1), channel="chat")
    assert value("volume", Scope(team_id=team.pk))[0] == 2
    assert value("volume", Scope(channel="chat"))[0] == 2
    assert value("volume", Scope(team_id=team.pk, channel="chat"))[0] == 1
    assert value("volume", Scope(kind="complaint", priority="high"))[0] == 1
    assert value("volume", Scope(segment="vip"))[0] == 1
    assert value("volume", Scope(agent_id=agent.pk))[0] == 1


@pytest.mark.django_db
def test_csat_nps_ces_from_responses() -> None:
    # CSAT scores 5, 4, 3, 1 → 2 of 4 = 50 %. NPS 10, 9, 8, 6, 0 → (2 − 2)/5 = 0;
    # NPS 10, 9, 7 → 2/3 = 66.7. CES 2, 3, 7 → 4.0. A response after the week is out.
    csat_survey, nps_survey, ces_survey = survey("csat"), survey("nps"), survey("ces")
    for score in (5, 4, 3, 1):
        response(csat_survey, score, answered=at(2))
    response(csat_survey, 1, answered=at(days=8))
    assert value("csat") == (50.0, 2, 4)
    for score in (10, 9, 8, 6, 0):
        response(nps_survey, score, answered=at(3))
    assert value("nps") == (0.0, 0, 5)
    for score in (2, 3, 7):
        response(ces_survey, score, answered=at(3))
    assert value("ces") == (4.0, 4.0, 3)


@pytest.mark.django_db
def test_survey_metrics_scoped_through_the_ticket() -> None:
    # Chat CSAT 5 on an after-sale ticket; email CSAT 2 on a pre-sale ticket; relationship
    # (no ticket) CSAT 1: after-sale → 100 % of 1; chat → 100 % of 1; all → 1 of 3.
    csat_survey = survey("csat")
    after = ticket(created=at(1), touchpoint="after_sale", channel="chat")
    before = ticket(created=at(1), touchpoint="pre_sale")
    response(csat_survey, 5, answered=at(2), ticket_row=after)
    response(csat_survey, 2, answered=at(2), ticket_row=before)
    response(csat_survey, 1, answered=at(2))
    assert value("csat", Scope(touchpoint="after_sale")) == (100.0, 1, 1)
    assert value("csat", Scope(channel="chat")) == (100.0, 1, 1)
    assert value("csat") == (pytest.approx(100 / 3), 1, 3)


@pytest.mark.django_db
def test_qa_pass_rate_excludes_calibration_and_scopes_by_agent() -> None:
    # Agent A: pass, fail; agent B: pass → 2/3; agent A alone → 1/2.
    first, second = AgentFactory(), AgentFactory()
    row = ticket(created=at(1))
    review(row, first, passed=True, submitted=at(5))
    review(ticket(created=at(1)), first, passed=False, submitted=at(5))
    review(ticket(created=at(1)), second, passed=True, submitted=at(5))
    assert value("qa_pass_rate") == (pytest.approx(200 / 3), 2, 3)
    assert value("qa_pass_rate", Scope(agent_id=first.pk)) == (50.0, 1, 2)


@pytest.mark.django_db
def test_bot_self_service_and_knowledge_use() -> None:
    # Bot: resolved, handed off, abandoned (ended) + one active (not counted) → 1/3.
    for outcome in ("resolved", "handed_off", "abandoned", "active"):
        BotConversation.objects.create(
            channel="chat", outcome=outcome, started_at=at(1), last_activity_at=at(1)
        )
    BotConversation.objects.create(
        channel="wechat", outcome=BotOutcome.RESOLVED, started_at=at(1), last_activity_at=at(1)
    )
    assert value("bot_share", Scope(channel="chat")) == (pytest.approx(100 / 3), 1, 3)
    assert value("bot_share") == (50.0, 2, 4)
    # Self-service: 3 successes, 1 ticket opened → 3/4.
    for _ in range(3):
        SelfServiceSuccess.objects.create(kind="order_lookup", channel="portal", created_at=at(2))
    used = ticket(created=at(1))
    # Knowledge: 1 of 2 tickets has a linked article (a customer view does not count).
    viewed = ticket(created=at(1))
    article = make_article()
    ArticleUse.objects.create(article=article, kind=UseKind.LINKED, ticket=used, created_at=at(2))
    ArticleUse.objects.create(article=article, kind=UseKind.VIEWED, ticket=viewed, created_at=at(2))
    assert value("self_service_share") == (60.0, 3, 5)
    assert value("knowledge_use_rate") == (50.0, 1, 2)


@pytest.mark.django_db
def test_category_scope_reaches_clocks_responses_and_reviews() -> None:
    # One ticket in the category (and one outside) with a met clock, a CSAT 5 and a passed
    # review: each metric scoped to the category sees exactly the one.
    family = category("t-family")
    inside = ticket(created=at(1), category=category("t-leaf", family))
    outside = ticket(created=at(1), category=category("t-other"))
    agent = AgentFactory()
    csat_survey = survey("csat")
    for row in (inside, outside):
        clock_row(row, metric="first_response", started=at(1), due=at(2), stopped=at(1.5))
        response(csat_survey, 5, answered=at(2), ticket_row=row)
        review(row, agent, passed=True, submitted=at(3))
    scoped = Scope(category_id=family.pk)
    assert value("response_on_time_rate", scoped) == (100.0, 1, 1)
    assert value("csat", scoped) == (100.0, 1, 1)
    assert value("qa_pass_rate", scoped) == (100.0, 1, 1)
    assert value("first_response_business_median", scoped) == (30.0, 30.0, 1)
