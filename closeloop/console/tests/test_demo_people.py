"""The demo team's development data (closeloop.console.demo_people)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from closeloop.console.demo_data import _people
from closeloop.console.demo_people import install_demo_people
from closeloop.core import clock
from closeloop.people.events import today
from closeloop.people.models import (
    AgentSkill,
    AssessmentResult,
    Mentorship,
    OnboardingProgress,
    TrainingRecord,
)
from closeloop.people.selectors import training_overdue

NOW = datetime(2025, 3, 14, 10, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def test_demo_people_adds_a_believable_history():
    with clock.frozen_at(NOW):
        agents = _people()
        started = time.perf_counter()
        counts = install_demo_people()
        elapsed = time.perf_counter() - started
        overdue = list(training_overdue([agent.pk for agent in agents.values()], today=today()))
    assert elapsed < 30
    # Passed assessments add levels on top of the ones set directly.
    assert AgentSkill.objects.count() >= counts["skills"] > 20
    assert counts["results"] == AssessmentResult.objects.count() > 10
    assert {record.agent.user.username for record in overdue} == {"sun.li", "liu.yang", "zhou.min"}
    assert TrainingRecord.objects.filter(status="completed").count() > 20
    pairs = {
        (pair.mentor.user.username, pair.mentee.user.username) for pair in Mentorship.objects.all()
    }
    assert pairs == {("chen.jing", "zhou.min"), ("huang.qiang", "ma.chao")}
    done = OnboardingProgress.objects.filter(done_at__isnull=False).count()
    assert 4 <= done < OnboardingProgress.objects.count() == 12
    assert (counts["mentorships"], counts["overdue"]) == (2, 3)


def test_demo_team_page_renders_for_a_lead():
    from django.test import Client

    from closeloop.console.demo_triage import assign_teams

    with clock.frozen_at(NOW):
        agents = _people()
        assign_teams()
        install_demo_people()
        client = Client()
        client.force_login(agents["li.na"].user)
        response = client.get("/agent/people/team/")
        mine = client.get("/agent/people/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Zhou Min" in html
    assert 'id="overdue-count">2<' in html  # sun.li and zhou.min in after-sales
    assert "陈静 Chen Jing mentors 周敏 Zhou Min since" in html
    # Categories are routed to teams: after-sales is not told it lacks battery experts.
    gaps = html.split('id="gaps"')[1].split("</p>")[0]
    assert "Batteries" not in gaps
    assert mine.status_code == 200
