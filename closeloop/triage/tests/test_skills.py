"""Skills and agents' levels (people app) and the taxonomy's skill needs."""

import pytest
from django.db import IntegrityError, transaction

from closeloop.people.models import AgentSkill, Skill
from closeloop.people.tests.factories import AgentFactory
from closeloop.triage.defaults import SKILLS
from closeloop.triage.models import Category, CategorySkill

pytestmark = pytest.mark.django_db


def test_default_skills_are_installed_in_both_languages():
    skills = {skill.code: skill for skill in Skill.objects.all()}
    assert set(skills) >= {code for code, _en, _zh in SKILLS}
    for code in ("battery", "screen", "refunds", "returns", "logistics", "invoices", "app"):
        assert skills[code].name_en
        assert skills[code].name_zh
    assert skills["refunds"].display_name("zh-hans") == "退款"
    assert skills["refunds"].display_name("en") == "Refunds"


def test_an_agent_has_one_level_per_skill():
    agent = AgentFactory()
    battery = Skill.objects.get(code="battery")
    AgentSkill.objects.create(agent=agent, skill=battery, level=4)
    with pytest.raises(IntegrityError), transaction.atomic():
        AgentSkill.objects.create(agent=agent, skill=battery, level=2)
    assert list(agent.skill_levels.values_list("skill__code", "level")) == [("battery", 4)]


@pytest.mark.parametrize("level", [0, 6])
def test_skill_level_is_1_to_5(level):
    agent = AgentFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        AgentSkill.objects.create(agent=agent, skill=Skill.objects.get(code="app"), level=level)
    assert not AgentSkill.objects.exists()


def test_category_needs_skills_with_a_minimum_level():
    overheating = Category.objects.get(code="overheating")
    needs = dict(
        CategorySkill.objects.filter(category=overheating).values_list("skill__code", "min_level")
    )
    assert needs == {"hardware": 3, "battery": 2}
    assert set(overheating.required_skills.values_list("code", flat=True)) == {
        "hardware",
        "battery",
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        CategorySkill.objects.create(
            category=overheating, skill=Skill.objects.get(code="app"), min_level=9
        )
