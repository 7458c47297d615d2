"""The metrics engine: grouped values worked out by hand, every metric grouped and ungrouped
equal to ``measure``, rollups equal to the direct computation, series and drill-down."""

from __future__ import annotations

import io
from datetime import date

import pytest

from closeloop.analytics import engine
from closeloop.analytics import engine_specs as specs
from closeloop.analytics.engine import (
    GROUP_BY,
    SCOPE_FIELD,
    groupable,
    metric_series,
    metrics_table,
    tickets_behind,
)
from closeloop.analytics.metrics import Scope, all_metrics, measure
from closeloop.analytics.models_engine import DailyRollup, RollupDay
from closeloop.analytics.rollups import rollups_compute, rollups_sweep
from closeloop.analytics.tests.factories import (
    at,
    category,
    clock_row,
    response,
    review,
    survey,
    ticket,
)
from closeloop.core import clock
from closeloop.core.errors import InvalidInput
from closeloop.customers.tests.factories import CustomerFactory
from closeloop.knowledge.models import ArticleUse, BotConversation, SelfServiceSuccess, UseKind
from closeloop.knowledge.tests.factories import make_article
from closeloop.people.tests.factories import AgentFactory, TeamFactory
from closeloop.triage.models import TriageCorrection

# The fixture lives on Mon 2 March 2026 (day 0) … Wed 4 March (day 2), UTC (the test time
# zone); "now" is Fri 6 March, so days 0–4 are past and can be rolled up.
NOW = at(days=4, hours=12)
PERIOD = (at(0), at(days=3))


def world() -> dict:
    """Seven tickets over three days (written out below), with clocks, surveys, a review,
    bot conversations, self-service successes, article uses and triage corrections."""
    red, blue = TeamFactory(name="Red"), TeamFactory(name="Blue")
    ann, bob = AgentFactory(display_name="Ann"), AgentFactory(display_name="Bob")
    family = category("eng-family")
    billing, delivery = category("eng-billing", family), category("eng-delivery", family)
    vip = CustomerFactory(segment="vip")
    t = {}
    # t1 day 0 email after-sale complaint, Red/Ann, billing, answered after 10 min, resolved
    #    after 60 min with one reply, breached.
    t["t1"] = ticket(
        created=at(1), channel="email", touchpoint="after_sale", kind="complaint",
        team=red, assignee=ann, category=billing, customer=vip, priority="high",
        first_responded_at=at(1 + 10 / 60), status="resolved", resolved_at=at(2),
        public_agent_reply_count=1, sla_breached_at=at(1.5),
    )  # fmt: skip
    # t2 day 0 chat after-sale inquiry, Red/Ann, billing, answered after 30 min, resolved
    #    after 3 h with two replies (not first-contact).
    t["t2"] = ticket(
        created=at(3), channel="chat", touchpoint="after_sale", kind="inquiry",
        team=red, assignee=ann, category=billing, priority="low",
        first_responded_at=at(3.5), status="closed", resolved_at=at(6),
        public_agent_reply_count=2,
    )  # fmt: skip
    # t3 day 1 chat pre-sale inquiry, Blue/Bob, delivery, answered after 20 min, reopened
    #    and resolved again after 2 h (one reply, but a reopen: not first-contact).
    t["t3"] = ticket(
        created=at(25), channel="chat", touchpoint="pre_sale", kind="inquiry",
        team=blue, assignee=bob, category=delivery, priority="low",
        first_responded_at=at(25 + 20 / 60), status="resolved", resolved_at=at(27),
        public_agent_reply_count=1, reopen_count=1,
    )  # fmt: skip
    # t4 day 1 email after-sale complaint, Blue/Bob, delivery, never answered, escalated.
    t["t4"] = ticket(
        created=at(30), channel="email", touchpoint="after_sale", kind="complaint",
        team=blue, assignee=bob, category=delivery, priority="high", escalated_at=at(31),
    )  # fmt: skip
    # t5 day 2 email pre-sale inquiry, Red, no agent, billing, same VIP customer as t1 but
    #    41 h later (not within 7 days? it is: repeat contact of billing), answered after 40 min,
    #    escalated and resolved after 5 h with one reply.
    t["t5"] = ticket(
        created=at(50), channel="email", touchpoint="pre_sale", kind="inquiry",
        team=red, category=billing, customer=vip, priority="medium",
        first_responded_at=at(50 + 40 / 60), escalated_at=at(51), status="resolved",
        resolved_at=at(55), public_agent_reply_count=1,
    )  # fmt: skip
    # t6 day 2 chat, no team, no category; t7 day 5 (outside the period).
    t["t6"] = ticket(created=at(60), channel="chat", touchpoint="in_sale", kind="request")
    t["t7"] = ticket(created=at(days=5, hours=1), channel="email", kind="complaint")
    # Response clocks (24x7): t1 met (due 1 h, stopped at 10 min), t2 late (due 20 min,
    # stopped 30 min), t3 met, t4 overdue (due at 31, never stopped), t5 open and not due.
    clock_row(t["t1"], metric="first_response", started=at(1), due=at(2), stopped=at(1 + 1 / 6))
    clock_row(t["t2"], metric="first_response", started=at(3), due=at(3 + 1 / 3), stopped=at(3.5))
    clock_row(t["t3"], metric="first_response", started=at(25), due=at(26), stopped=at(25 + 1 / 3))
    clock_row(t["t4"], metric="first_response", started=at(30), due=at(31))
    clock_row(t["t5"], metric="first_response", started=at(50), due=at(days=9))
    # Surveys: CSAT 5 (t1, Ann), 2 (t2, Ann), 4 (t3, Bob); NPS 10 (t1), 7 (t3), 3 (t5);
    # CES 2 (t1), 5 (t3).
    csat, nps, ces = survey("csat"), survey("nps"), survey("ces")
    response(csat, 5, answered=at(3), ticket_row=t["t1"], agent=ann, team=red)
    response(csat, 2, answered=at(8), ticket_row=t["t2"], agent=ann, team=red)
    response(csat, 4, answered=at(28), ticket_row=t["t3"], agent=bob, team=blue)
    response(nps, 10, answered=at(3), ticket_row=t["t1"], agent=ann, team=red)
    response(nps, 7, answered=at(28), ticket_row=t["t3"], agent=bob, team=blue)
    response(nps, 3, answered=at(56), ticket_row=t["t5"], team=red)
    response(ces, 2, answered=at(3), ticket_row=t["t1"], agent=ann, team=red)
    response(ces, 5, answered=at(28), ticket_row=t["t3"], agent=bob, team=blue)
    # QA: Ann passed on t1, failed on t2; Bob passed on t3.
    review(t["t1"], ann, passed=True, submitted=at(10))
    review(t["t2"], ann, passed=False, submitted=at(10))
    review(t["t3"], bob, passed=True, submitted=at(30))
    # Bot: chat resolved ×2, chat handed off, wechat abandoned.
    for channel, outcome in (
        ("chat", "resolved"), ("chat", "resolved"), ("chat", "handed_off"),
        ("wechat", "abandoned"),
    ):  # fmt: skip
        BotConversation.objects.create(
            channel=channel, outcome=outcome, started_at=at(4), last_activity_at=at(4)
        )
    # Self-service: two on the portal, one on chat.
    for channel in ("portal", "portal", "chat"):
        SelfServiceSuccess.objects.create(kind="order_lookup", channel=channel, created_at=at(5))
    # Articles linked on t1 and t3.
    article = make_article()
    for name in ("t1", "t3"):
        ArticleUse.objects.create(
            article=article, kind=UseKind.LINKED, ticket=t[name], created_at=at(40)
        )
    # Triage: the classifier's billing kept on t1; t4 corrected delivery → billing → back.
    TriageCorrection.objects.create(
        ticket=t["t1"], from_category=billing, to_category=billing, agent=ann, created_at=at(2)
    )
    TriageCorrection.objects.create(
        ticket=t["t4"], from_category=billing, to_category=delivery, agent=bob, created_at=at(31)
    )
    return {"t": t, "red": red, "blue": blue, "ann": ann, "bob": bob, "billing": billing,
            "delivery": delivery}  # fmt: skip


def values(rows: list[engine.Row], key: str) -> dict:
    return {row.key: (row.values[key].value, row.values[key].sample) for row in rows}


@pytest.mark.django_db
def test_grouped_by_hand() -> None:
    w = world()
    with clock.frozen_at(NOW):
        # Volume by channel in days 0–2: email t1 t4 t5, chat t2 t3 t6.
        rows = metrics_table(keys=["volume", "complaint_rate"], start=PERIOD[0], end=PERIOD[1],
                             group_by="channel")  # fmt: skip
        assert values(rows, "volume") == {"email": (3.0, 3), "chat": (3.0, 3)}
        # Complaints: email 2 of 3 (t1, t4); chat 0 of 3.
        assert values(rows, "complaint_rate") == {
            "email": (pytest.approx(200 / 3), 3),
            "chat": (0.0, 3),
        }
        assert [row.label for row in rows] == ["Email", "Web chat"]
        # CSAT by team: Red 1 of 2 (5, 2) = 50 %; Blue 1 of 1 = 100 %.
        rows = metrics_table(keys=["csat", "first_response_median"], start=PERIOD[0],
                             end=PERIOD[1], group_by="team")  # fmt: skip
        assert values(rows, "csat")[w["red"].pk] == (50.0, 2)
        assert values(rows, "csat")[w["blue"].pk] == (100.0, 1)
        # First response median by team: Red 10, 30, 40 min → 30; Blue 20 (t4 unanswered).
        medians = values(rows, "first_response_median")
        assert medians[w["red"].pk] == (pytest.approx(30.0), 3)
        assert medians[w["blue"].pk] == (pytest.approx(20.0), 1)
        # On time by agent: Ann t1 met, t2 late → 50 %; Bob t3 met, t4 overdue → 50 %;
        # t5 (no agent) is neither stopped nor overdue → no sample.
        rows = metrics_table(keys=["response_on_time_rate", "nps"], start=PERIOD[0],
                             end=PERIOD[1], group_by="agent")  # fmt: skip
        on_time = values(rows, "response_on_time_rate")
        assert on_time[w["ann"].pk] == (50.0, 2)
        assert on_time[w["bob"].pk] == (50.0, 2)
        # NPS by agent (the response's agent): Ann 10 → +100; Bob 7 → 0; none: 3 → −100.
        nps = values(rows, "nps")
        assert nps[w["ann"].pk] == (100.0, 1)
        assert nps[w["bob"].pk] == (0.0, 1)
        assert nps[None] == (-100.0, 1)
        # Bot share by channel: chat 2 of 3; wechat 0 of 1. It cannot be split by team.
        rows = metrics_table(keys=["bot_share"], start=PERIOD[0], end=PERIOD[1],
                             group_by="channel")  # fmt: skip
        assert values(rows, "bot_share") == {
            "chat": (pytest.approx(200 / 3), 3),
            "wechat": (0.0, 1),
        }
        assert not groupable("bot_share", "team")
        # Category: billing t1 t2 t5, delivery t3 t4, none t6; FCR over resolved billing
        # tickets t1 (one reply) t2 (two) t5 (one) → 2 of 3.
        rows = metrics_table(keys=["volume", "first_contact_resolution"], start=PERIOD[0],
                             end=PERIOD[1], group_by="category")  # fmt: skip
        assert values(rows, "volume") == {
            w["billing"].pk: (3.0, 3),
            w["delivery"].pk: (2.0, 2),
            None: (1.0, 1),
        }
        assert values(rows, "first_contact_resolution")[w["billing"].pk] == (
            pytest.approx(200 / 3),
            3,
        )


@pytest.mark.django_db
def test_ungrouped_every_metric_equals_measure_and_hand_values() -> None:
    world()
    keys = [definition.key for definition in all_metrics()]
    with clock.frozen_at(NOW):
        (row,) = metrics_table(keys=keys, start=PERIOD[0], end=PERIOD[1])
        assert row.key is None
        assert row.label == "All"
        for key in keys:
            assert row.values[key] == measure(key, Scope(), *PERIOD), key
    got = {key: (row.values[key].value, row.values[key].sample) for key in keys}
    # Six tickets; resolved t1 t2 t3 t5: FCR t1 t5 → 50 %; reopened t3 → 25 %.
    assert got["volume"] == (6.0, 6)
    assert got["first_contact_resolution"] == (50.0, 4)
    assert got["reopen_rate"] == (25.0, 4)
    # Repeat contact: t5 (VIP, billing, 49 h after t1) → 1 of 6.
    assert got["repeat_contact_rate"] == (pytest.approx(100 / 6), 6)
    # Escalated t4 (open), t5 (resolved) → 50 %. Breached: t1 → 1 of 6.
    assert got["escalated_resolution_rate"] == (50.0, 2)
    assert got["sla_breach_rate"] == (pytest.approx(100 / 6), 6)
    # CSAT 5, 2, 4 → 2 of 3; NPS 10, 7, 3 → (1 − 1)/3 = 0; CES (2 + 5)/2 = 3.5.
    assert got["csat"] == (pytest.approx(200 / 3), 3)
    assert got["nps"] == (0.0, 3)
    assert got["ces"] == (3.5, 2)
    # QA 2 of 3 passed; bot 2 of 4; self-service 3 ÷ (3 + 6); knowledge t1, t3 → 2 of 6.
    assert got["qa_pass_rate"] == (pytest.approx(200 / 3), 3)
    assert got["bot_share"] == (50.0, 4)
    assert got["self_service_share"] == (pytest.approx(100 / 3), 9)
    assert got["knowledge_use_rate"] == (pytest.approx(100 / 3), 6)
    # Classification: t1 kept, t4 changed → 1 of 2.
    assert got["classification_accuracy"] == (50.0, 2)
    # Response on time: t1, t3 met of t1 t2 t3 t4 (t4 overdue) → 50 %.
    assert got["response_on_time_rate"] == (50.0, 4)
    # First response 10, 30, 20, 40 → median 25, p90 40; resolution 60, 180, 120, 300
    # minutes → median 150.
    assert got["first_response_median"] == (pytest.approx(25.0), 4)
    assert got["first_response_p90"] == (pytest.approx(40.0), 4)
    assert got["resolution_median"] == (pytest.approx(150.0), 4)


@pytest.mark.django_db
def test_every_metric_grouped_equals_measure_of_each_group() -> None:
    world()
    keys = [definition.key for definition in all_metrics()]
    with clock.frozen_at(NOW):
        for group_by in GROUP_BY:
            rows = metrics_table(keys=keys, start=PERIOD[0], end=PERIOD[1], group_by=group_by)
            for row in rows:
                if row.key is None:
                    continue
                scope = Scope(**{SCOPE_FIELD[group_by]: row.key})
                for key in keys:
                    if not groupable(key, group_by):
                        continue
                    assert row.values[key] == measure(key, scope, *PERIOD), (group_by, row.key, key)


@pytest.mark.django_db
def test_rollups_equal_direct_computation() -> None:
    world()
    keys = [definition.key for definition in all_metrics()]
    with clock.frozen_at(NOW):
        direct = {key: measure(key, Scope(), *PERIOD) for key in keys}
        series_keys = ["volume", "csat", *specs.WALL, *specs.ON_TIME, *specs.BUSINESS]
        direct_series = {
            key: metric_series(key=key, start=PERIOD[0], end=PERIOD[1]) for key in series_keys
        }
        direct_grouped = {
            group_by: metrics_table(keys=keys, start=at(2), end=PERIOD[1], group_by=group_by)
            for group_by in GROUP_BY
        }
        counts = rollups_compute(date(2026, 3, 1), date(2026, 3, 5))
        # Grouped tables from the groups' rollups (+ day 0's rest directly): unchanged.
        for group_by in GROUP_BY:
            after = metrics_table(keys=keys, start=at(2), end=PERIOD[1], group_by=group_by)
            assert after == direct_grouped[group_by], group_by
        assert counts["days"] == 5
        assert counts["rows"] > 0
        # Whole days: the table now reads rollups, and the figures do not move.
        (row,) = metrics_table(keys=keys, start=PERIOD[0], end=PERIOD[1])
        assert row.values == direct
        # A period starting mid-day: rollups for days 1–2, a direct count of day 0's rest.
        (row,) = metrics_table(keys=keys, start=at(2), end=PERIOD[1])
        assert row.values == {key: measure(key, Scope(), at(2), PERIOD[1]) for key in keys}
        # Daily series: additive days summed, the others' own stored daily values
        # (day 0's first response median: 10 and 30 minutes → 20).
        stored = DailyRollup.objects.get(metric="first_response_median", day=date(2026, 3, 2))
        assert (stored.numerator, stored.sample) == (pytest.approx(20.0), 2)
        for key in series_keys:
            rolled = metric_series(key=key, start=PERIOD[0], end=PERIOD[1])
            assert rolled == direct_series[key], key
        # The stored rows per group add up to the direct grouped values.
        billing = DailyRollup.objects.filter(metric="volume", dimension="channel", key="email")
        assert sum(r.numerator for r in billing if r.day <= date(2026, 3, 4)) == 3
        for group_by in GROUP_BY:
            grouped = metrics_table(keys=["volume", "csat"], start=PERIOD[0], end=PERIOD[1],
                                    group_by=group_by)  # fmt: skip
            for grouped_row in grouped:
                key = None if grouped_row.key is None else str(grouped_row.key)
                stored = DailyRollup.objects.filter(
                    metric="volume", dimension=group_by, key=key, day__lte=date(2026, 3, 4)
                )
                assert sum(r.sample for r in stored) == grouped_row.values["volume"].sample


@pytest.mark.django_db
def test_changed_ticket_forgets_its_day_until_the_sweep() -> None:
    from closeloop.tickets.models import Ticket
    from closeloop.tickets.signals import ticket_changed

    w = world()
    with clock.frozen_at(NOW):
        rollups_compute(date(2026, 3, 1), date(2026, 3, 5))
        t6 = w["t"]["t6"]
        Ticket.objects.filter(pk=t6.pk).update(kind="complaint")
        t6.refresh_from_db()
        ticket_changed.send(sender=Ticket, ticket=t6, events=[])
        assert not RollupDay.objects.filter(day=date(2026, 3, 4)).exists()
        # The figure is right at once (day 2 is counted directly): 3 of 6.
        (row,) = metrics_table(keys=["complaint_rate"], start=PERIOD[0], end=PERIOD[1])
        assert row.values["complaint_rate"].numerator == 3
        assert rollups_sweep()["days"] >= 1
        assert RollupDay.objects.filter(day=date(2026, 3, 4)).exists()
        (row,) = metrics_table(keys=["complaint_rate"], start=PERIOD[0], end=PERIOD[1])
        assert row.values["complaint_rate"].numerator == 3


@pytest.mark.django_db
def test_late_records_forget_the_day_they_count_on() -> None:
    from closeloop.feedback.models import Response
    from closeloop.knowledge.services import article_use_record

    w = world()
    with clock.frozen_at(NOW):
        rollups_compute(date(2026, 3, 1), date(2026, 3, 5))
        (row,) = metrics_table(keys=["knowledge_use_rate", "csat"], start=PERIOD[0],
                               end=PERIOD[1])  # fmt: skip
        assert row.values["knowledge_use_rate"].numerator == 2  # t1 and t3
        assert row.values["csat"].numerator == 2  # 5 and 4 of 5, 2, 4
        # An article linked today on t6 (opened on day 2): day 2 is counted directly again.
        article_use_record(article=make_article(), kind=UseKind.LINKED, ticket=w["t"]["t6"])
        assert not RollupDay.objects.filter(day=date(2026, 3, 4)).exists()
        assert RollupDay.objects.filter(day=date(2026, 3, 2)).exists()
        # t2's CSAT (answered on day 0) changed from 2 to 5 by a second click.
        answer = Response.objects.get(ticket=w["t"]["t2"], survey_type="csat")
        answer.score = 5
        answer.save(update_fields=["score"])
        assert not RollupDay.objects.filter(day=date(2026, 3, 2)).exists()
        (row,) = metrics_table(keys=["knowledge_use_rate", "csat"], start=PERIOD[0],
                               end=PERIOD[1])  # fmt: skip
        assert row.values["knowledge_use_rate"].numerator == 3
        assert row.values["csat"].numerator == 3


@pytest.mark.django_db
def test_on_time_rate_rolls_up_stopped_clocks_and_counts_overdue_ones_live() -> None:
    from closeloop.sla.models import TicketClock

    w = world()
    with clock.frozen_at(NOW):
        rollups_compute(date(2026, 3, 1), date(2026, 3, 5))
        stored = {
            (row.day, row.dimension, row.key): (row.numerator, row.sample)
            for row in DailyRollup.objects.filter(metric="response_on_time_rate:stopped")
        }
        # Day 0: t1 met and t2 late, both stopped; day 1: t3 met (t4 still runs); day 2: t5
        # still runs, so no row.
        assert stored[(date(2026, 3, 2), "", None)] == (1, 2)
        assert stored[(date(2026, 3, 3), "", None)] == (1, 1)
        assert (date(2026, 3, 4), "", None) not in stored
        assert stored[(date(2026, 3, 3), "team", str(w["blue"].pk))] == (1, 1)
        # Met 2 of decided 4: three stopped (rolled up) and t4, overdue since hour 31.
        (row,) = metrics_table(keys=["response_on_time_rate"], start=PERIOD[0], end=PERIOD[1])
        assert (row.values["response_on_time_rate"].numerator, row.values[
            "response_on_time_rate"].sample) == (2, 4)  # fmt: skip
        # t4's clock paused since: no longer decided, at once (its day stays rolled up).
        TicketClock.objects.filter(ticket=w["t"]["t4"]).update(paused_since=at(32))
        assert RollupDay.objects.filter(day=date(2026, 3, 3)).exists()
        (row,) = metrics_table(keys=["response_on_time_rate"], start=PERIOD[0], end=PERIOD[1])
        assert row.values["response_on_time_rate"].sample == 3
        by_team = values(
            metrics_table(keys=["response_on_time_rate"], start=PERIOD[0], end=PERIOD[1],
                          group_by="team"),
            "response_on_time_rate",
        )  # fmt: skip
        # Red: t1 met, t2 late (t5 not due); Blue: t3 met, t4 paused.
        assert by_team[w["red"].pk] == (50.0, 2)
        assert by_team[w["blue"].pk] == (100.0, 1)
        for group_by in GROUP_BY:
            rows = metrics_table(keys=["response_on_time_rate"], start=PERIOD[0],
                                 end=PERIOD[1], group_by=group_by)  # fmt: skip
            for grouped_row in rows:
                if grouped_row.key is not None:
                    scope = Scope(**{SCOPE_FIELD[group_by]: grouped_row.key})
                    assert grouped_row.values["response_on_time_rate"] == measure(
                        "response_on_time_rate", scope, *PERIOD
                    ), (group_by, grouped_row.key)


@pytest.mark.django_db
def test_series_by_day_week_and_month() -> None:
    world()
    with clock.frozen_at(NOW):
        daily = metric_series(key="volume", start=PERIOD[0], end=at(days=6))
        # Day 0: t1 t2; day 1: t3 t4; day 2: t5 t6; day 5: t7.
        assert [(day.day, m.value) for day, m in daily] == [
            (2, 2.0), (3, 2.0), (4, 2.0), (5, 0.0), (6, 0.0), (7, 1.0)
        ]  # fmt: skip
        weekly = metric_series(key="volume", start=PERIOD[0], end=at(days=6), bucket="week")
        assert [(day, m.value) for day, m in weekly] == [(date(2026, 3, 2), 7.0)]
        medians = metric_series(key="first_response_median", start=PERIOD[0], end=PERIOD[1])
        # Day 0: 10 and 30 → 20; day 1: 20; day 2: 40.
        assert [m.value for _day, m in medians] == pytest.approx([20.0, 20.0, 40.0])
        with pytest.raises(InvalidInput):
            metric_series(key="volume", start=PERIOD[0], end=PERIOD[1], bucket="year")


@pytest.mark.django_db
def test_tickets_behind_a_figure() -> None:
    w = world()
    t = w["t"]
    with clock.frozen_at(NOW):
        complaints = tickets_behind(key="complaint_rate", start=PERIOD[0], end=PERIOD[1])
        assert set(complaints) == {t["t1"], t["t4"]}
        everyone = tickets_behind(
            key="complaint_rate", start=PERIOD[0], end=PERIOD[1], part="sample"
        )
        assert everyone.count() == 6
        late = tickets_behind(key="response_on_time_rate", start=PERIOD[0], end=PERIOD[1],
                              part="sample")  # fmt: skip
        assert set(late) == {t["t1"], t["t2"], t["t3"], t["t4"]}
        happy = tickets_behind(key="csat", start=PERIOD[0], end=PERIOD[1])
        assert set(happy) == {t["t1"], t["t3"]}
        used = tickets_behind(key="knowledge_use_rate", start=PERIOD[0], end=PERIOD[1])
        assert set(used) == {t["t1"], t["t3"]}
        red = tickets_behind(key="volume", start=PERIOD[0], end=PERIOD[1],
                             scope=Scope(team_id=w["red"].pk))  # fmt: skip
        assert set(red) == {t["t1"], t["t2"], t["t5"]}
        with pytest.raises(InvalidInput):
            tickets_behind(key="volume", start=PERIOD[0], end=PERIOD[1], part="half")


@pytest.mark.django_db
def test_unknown_metric_and_grouping_are_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        metrics_table(keys=["volume"], start=PERIOD[0], end=PERIOD[1], group_by="planet")
    assert error.value.details == {"field": "group_by"}
    with pytest.raises(InvalidInput):
        metrics_table(keys=["nothing"], start=PERIOD[0], end=PERIOD[1])


@pytest.mark.django_db
def test_rollup_command() -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    world()
    out = io.StringIO()
    with clock.frozen_at(NOW):
        call_command("analytics", "rollup", "--day", "2026-03-03", stdout=out)
        assert "Rolled up 1 days" in out.getvalue()
        assert list(RollupDay.objects.values_list("day", flat=True)) == [date(2026, 3, 3)]
        stored = DailyRollup.objects.get(metric="volume", dimension="", day=date(2026, 3, 3))
        assert stored.sample == 2  # t3 and t4
        call_command("analytics", "rollup", "--from", "2026-03-01", "--to", "2026-03-05")
        assert RollupDay.objects.count() == 5
        with pytest.raises(CommandError):
            call_command("analytics", "rollup", "--day", "2026-03-06")  # today
        with pytest.raises(CommandError):
            call_command("analytics", "rollup", "--from", "2026-03-01")


@pytest.mark.django_db
def test_demo_engine_sets_baseline_and_rolls_up() -> None:
    from closeloop.analytics.models_engine import BaselinePeriod
    from closeloop.console.demo_engine import install_demo_engine

    world()
    with clock.frozen_at(NOW):
        result = install_demo_engine()
    # History from Mon 2 March (t1) to "today" Fri 6 March: baseline 2–5 March (capped at
    # yesterday), four days rolled up.
    period = BaselinePeriod.objects.get()
    assert (period.start, period.end) == (date(2026, 3, 2), date(2026, 3, 5))
    assert result["days"] == 4
    assert RollupDay.objects.count() == 4
