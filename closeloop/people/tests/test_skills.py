"""Setting and removing skill levels, and the coverage matrix numbers."""

import pytest

from closeloop.core.errors import InvalidInput
from closeloop.people.models import AgentSkill, Availability, PeopleEvent
from closeloop.people.selectors import skill_coverage
from closeloop.people.services import agent_skill_remove, agent_skill_set
from closeloop.people.tests.factories import AgentFactory, SkillFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_set_changes_and_logs_the_level():
    agent, skill, lead = AgentFactory(), SkillFactory(code="t-refunds"), UserFactory()
    agent_skill_set(agent=agent, skill=skill, level=2, actor=lead)
    agent_skill_set(agent=agent, skill=skill, level=4, actor=lead)
    agent_skill_set(agent=agent, skill=skill, level=4, actor=lead)  # unchanged: no event
    assert AgentSkill.objects.get(agent=agent, skill=skill).level == 4
    events = list(PeopleEvent.objects.order_by("pk").values_list("type", "data"))
    assert events == [
        ("skill_set", {"skill": "t-refunds", "level": 2, "before": None}),
        ("skill_set", {"skill": "t-refunds", "level": 4, "before": 2}),
    ]


@pytest.mark.parametrize("level", [0, 6, "3", None, True])
def test_bad_levels_are_refused(level):
    agent, skill = AgentFactory(), SkillFactory()
    with pytest.raises(InvalidInput) as refused:
        agent_skill_set(agent=agent, skill=skill, level=level, actor=None)
    assert refused.value.details == {"field": "level"}
    assert not AgentSkill.objects.exists()


def test_remove():
    agent, skill = AgentFactory(), SkillFactory()
    agent_skill_set(agent=agent, skill=skill, level=3, actor=None)
    assert agent_skill_remove(agent=agent, skill=skill, actor=None) is True
    assert agent_skill_remove(agent=agent, skill=skill, actor=None) is False
    assert not AgentSkill.objects.exists()


def test_routing_sees_a_new_level_at_once():
    from closeloop.triage.services import _load_skills

    agent, skill = AgentFactory(), SkillFactory(code="t-logistics")
    agent_skill_set(agent=agent, skill=skill, level=5, actor=None)
    assert _load_skills()[agent.pk] == {"t-logistics": 5}


def test_coverage_matrix_counts_competent_and_online_agents():
    refunds, wechat, billing = (
        SkillFactory(code="a-refunds"),
        SkillFactory(code="b-wechat"),
        SkillFactory(code="c-billing"),
    )
    ann = AgentFactory(display_name="Ann", availability=Availability.ONLINE)
    bob = AgentFactory(display_name="Bob", availability=Availability.OFFLINE)
    cat = AgentFactory(display_name="Cat", availability=Availability.ONLINE)
    for agent, skill, level in [
        (ann, refunds, 3),
        (bob, refunds, 5),
        (cat, refunds, 2),
        (ann, wechat, 4),
        (cat, wechat, 4),
        (bob, billing, 4),
    ]:
        AgentSkill.objects.create(agent=agent, skill=skill, level=level)
    # Routing needs refunds (level 2) and billing (level 4); wechat is not needed.
    matrix = skill_coverage(
        [cat, bob, ann], needed={refunds.pk: 2, billing.pk: 4}, skills=[refunds, wechat, billing]
    )
    assert [agent.display_name for agent in matrix.agents] == ["Ann", "Bob", "Cat"]
    assert [levels for _agent, levels in matrix.rows()] == [
        [3, 4, None],
        [5, None, 4],
        [2, 4, None],
    ]
    by_code = {cov.skill.code: cov for cov in matrix.skills}
    assert (by_code["a-refunds"].competent, by_code["a-refunds"].competent_online) == (2, 1)
    assert (by_code["b-wechat"].competent, by_code["b-wechat"].competent_online) == (2, 2)
    assert (by_code["c-billing"].competent, by_code["c-billing"].competent_online) == (1, 0)
    # refunds: needed, only one competent agent online → gap; wechat: not needed, covered;
    # billing: needed, nobody online → gap.
    assert [cov.skill.code for cov in matrix.gaps] == ["a-refunds", "c-billing"]


def test_a_higher_routing_need_raises_the_competence_threshold():
    skill = SkillFactory()
    agents = [AgentFactory(), AgentFactory()]
    for agent in agents:
        AgentSkill.objects.create(agent=agent, skill=skill, level=3)
    [cov] = skill_coverage(agents, needed={skill.pk: 4}, skills=[skill]).skills
    assert (cov.threshold, cov.competent, cov.is_gap) == (4, 0, True)
    [cov] = skill_coverage(agents, needed={skill.pk: 3}, skills=[skill]).skills
    assert (cov.threshold, cov.competent, cov.is_gap) == (3, 2, False)
