"""Tags on tickets: add, remove, suggestions and statistics."""

from datetime import UTC, datetime, timedelta

import pytest

from closeloop.core import clock
from closeloop.core.errors import InvalidInput
from closeloop.people.tests.factories import AgentFactory
from closeloop.tickets.services import Actor
from closeloop.tickets.tests.factories import make_ticket
from closeloop.triage.models import Category, Tag, TagSource, TicketTag
from closeloop.triage.tags import (
    clear_suggestion_cache,
    tag_get_or_create,
    tag_statistics,
    tag_suggestions,
    text_tokens,
    ticket_tag_names,
    ticket_tags_add,
    ticket_tags_remove,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_index():
    clear_suggestion_cache()


@pytest.fixture
def actor():
    return Actor.of_agent(AgentFactory())


def test_text_tokens_split_words_and_chinese_bigrams():
    assert text_tokens("The battery of my X2 is swelling!") == {"battery", "x2", "swelling"}
    assert text_tokens("电池鼓包") == {"电池", "池鼓", "鼓包"}
    assert text_tokens("X2手机 慢") == {"x2", "手机", "慢"}


def test_add_creates_missing_tags_and_records_who(actor):
    ticket = make_ticket()
    change = ticket_tags_add(ticket=ticket, names=["Battery", " 物流-延迟 "], actor=actor)
    assert change.before == []
    assert change.after == ["Battery", "物流-延迟"]
    link = TicketTag.objects.get(ticket=ticket, tag__name="Battery")
    assert link.added_by == TagSource.AGENT
    assert link.added_by_agent == actor.agent
    assert Tag.objects.filter(name="Battery").count() == 1


def test_add_is_idempotent_and_ignores_case(actor):
    ticket = make_ticket()
    ticket_tags_add(ticket=ticket, names=["battery"], actor=actor)
    change = ticket_tags_add(ticket=ticket, names=["BATTERY", "battery"], actor=actor)
    assert not change.is_changed
    assert ticket_tag_names(ticket) == ["battery"]
    assert TicketTag.objects.count() == 1
    assert Tag.objects.filter(name__iexact="battery").count() == 1


def test_system_and_rule_sources(actor):
    ticket = make_ticket()
    ticket_tags_add(ticket=ticket, names=["auto"], actor=Actor.system())
    ticket_tags_add(ticket=ticket, names=["vip-rule"], actor=Actor.system(), source=TagSource.RULE)
    assert dict(TicketTag.objects.values_list("tag__name", "added_by")) == {
        "auto": "system",
        "vip-rule": "rule",
    }


def test_remove_takes_the_tag_off_and_keeps_it_in_the_library(actor):
    ticket = make_ticket()
    ticket_tags_add(ticket=ticket, names=["battery", "screen"], actor=actor)
    change = ticket_tags_remove(ticket=ticket, names=["BATTERY", "never-there"], actor=actor)
    assert (change.before, change.after) == (["battery", "screen"], ["screen"])
    assert Tag.objects.filter(name="battery").exists()
    again = ticket_tags_remove(ticket=ticket, names=["battery"], actor=actor)
    assert not again.is_changed


@pytest.mark.parametrize(
    "names", [[""], ["  "], ["x" * 61], ["bad\x00name"], [f"t{i}" for i in range(21)]]
)
def test_bad_names_are_refused_and_nothing_is_written(actor, names):
    ticket = make_ticket()
    tags_before = Tag.objects.count()
    with pytest.raises(InvalidInput):
        ticket_tags_add(ticket=ticket, names=names, actor=actor)
    assert Tag.objects.count() == tags_before
    assert not TicketTag.objects.exists()


def test_get_or_create_finds_any_case():
    tag = tag_get_or_create(name="Safety Risk")
    assert tag.name == "safety risk"  # the default tag, as installed
    assert Tag.objects.filter(name__iexact="safety risk").count() == 1


def test_suggestions_match_tag_names_in_english_and_chinese():
    Tag.objects.create(name="battery swelling", created_at=T0)
    english = tag_suggestions("My battery is swelling badly", limit=3)
    assert english[0].tag.name == "battery swelling"
    chinese = tag_suggestions("手机电池鼓包了，很危险", limit=3)
    assert chinese[0].tag.name == "产品故障-电池"


def test_suggestions_learn_from_tags_on_similar_tickets(actor):
    for subject in ("Parcel stuck at the depot", "Courier parcel late again"):
        ticket = make_ticket(subject=subject, body="where is my parcel")
        ticket_tags_add(ticket=ticket, names=["late-courier"], actor=actor)
    ticket = make_ticket(subject="Screen cracked", body="the screen arrived cracked")
    ticket_tags_add(ticket=ticket, names=["cracked"], actor=actor)

    suggestions = tag_suggestions("my parcel has not come", limit=2)

    assert [suggestion.tag.name for suggestion in suggestions][0] == "late-courier"
    assert "cracked" not in [suggestion.tag.name for suggestion in suggestions]


def test_suggestions_see_new_usage_at_once(actor):
    assert all(s.tag.name != "zebra" for s in tag_suggestions("striped horse"))
    ticket = make_ticket(subject="striped horse", body="striped horse")
    ticket_tags_add(ticket=ticket, names=["zebra"], actor=actor)
    assert tag_suggestions("striped horse")[0].tag.name == "zebra"


def test_suggestions_for_empty_text_are_empty():
    assert tag_suggestions("  !!  ") == []


def test_statistics_count_per_tag_and_category_with_trend(actor):
    battery = Category.objects.get(code="battery")
    Tag.objects.create(name="swelling", category=battery, created_at=T0)
    with clock.frozen_at(T0 - timedelta(days=10)):  # previous period
        for _ in range(2):
            ticket_tags_add(ticket=make_ticket(), names=["swelling"], actor=actor)
    with clock.frozen_at(T0 + timedelta(days=1)):  # this period
        for _ in range(3):
            ticket_tags_add(ticket=make_ticket(), names=["swelling", "loose"], actor=actor)
    with clock.frozen_at(T0 + timedelta(days=8)):  # after it
        ticket_tags_add(ticket=make_ticket(), names=["swelling"], actor=actor)

    stats = tag_statistics(since=T0, until=T0 + timedelta(days=7))

    assert stats.previous_since == T0 - timedelta(days=7)
    assert [(t.key, t.count, t.previous_count, t.change, t.change_percent) for t in stats.tags] == [
        ("loose", 3, 0, 3, None),
        ("swelling", 3, 0, 3, None),
    ]
    wider = tag_statistics(since=T0, until=T0 + timedelta(days=14))
    assert [(t.key, t.count, t.previous_count, t.change_percent) for t in wider.tags] == [
        ("swelling", 4, 2, 100.0),
        ("loose", 3, 0, None),
    ]
    assert [(c.key, c.count, c.previous_count) for c in wider.categories] == [
        ("battery", 4, 2),
        ("", 3, 0),
    ]
    assert (wider.total, wider.previous_total) == (7, 2)


def test_statistics_refuse_an_empty_period():
    with pytest.raises(InvalidInput):
        tag_statistics(since=T0, until=T0)
