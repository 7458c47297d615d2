"""The improvement priority table: each gap the diagnosis found becomes a candidate measure.

- A gap is an indicator below its goal (gap = (100 − sub-score) ÷ 100) or a problem in the
  urgency list (its own ``gap``, 0–1).
- Reach is the share of the period's tickets it touches: the indicator's sample (every contact
  for survey indicators) or the problem's affected count, ÷ tickets opened, at most 1.
- Impact 1–5 from gap × reach: ≥ 0.10 → 5, ≥ 0.05 → 4, ≥ 0.02 → 3, ≥ 0.005 → 2, else 1.
- Effort 1–5: ``DEFAULT_EFFORT`` per kind of measure unless a lead stored another.
- Priority = impact ÷ effort. Quadrants: quick win (impact ≥ 3, effort ≤ 2), major project
  (impact ≥ 3, effort ≥ 3), fill-in (impact < 3, effort ≤ 2), thankless (the rest). Order:
  quick wins, major projects, fill-ins, thankless; then priority, impact, title.
Pure functions: no database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from closeloop.analytics.charts import figure
from closeloop.analytics.diagnosis_problems import Problem, Rule
from closeloop.analytics.diagnosis_scoring import Evidence

IMPACT_STEPS = ((0.10, 5), (0.05, 4), (0.02, 3), (0.005, 2))


class MeasureKind(models.TextChoices):
    """Kinds of improvement measure; each has a default effort a lead may change."""

    COMPLAINT_QUEUE = "complaint_queue", gettext_lazy("Answer complaints within 24 h")
    EXPEDITE_HIGH_PRIORITY = "expedite_high", gettext_lazy("Expedite breached high priority")
    FEEDBACK_QUEUE = "feedback_queue", gettext_lazy("Answer feedback within 24 h")
    STAFFING = "staffing", gettext_lazy("Staff the queues at peak hours")
    CHAT_STAFFING = "chat_staffing", gettext_lazy("Staff the chat at peak hours")
    ESCALATION_PATHS = "escalation_paths", gettext_lazy("Escalate at-risk tickets earlier")
    FIRST_LINE = "first_line", gettext_lazy("Equip the first line to solve on first contact")
    ROOT_CAUSE = "root_cause", gettext_lazy("Fix the root cause of repeat contacts")
    EXPERT_FOLLOW_UP = "expert_follow_up", gettext_lazy("Follow escalated tickets through")
    DETRACTOR_RECOVERY = "detractor_recovery", gettext_lazy("Call back unhappy customers")
    COMPLAINT_PREVENTION = "complaint_prevention", gettext_lazy("Remove the causes of complaints")
    SCRIPT_TRAINING = "script_training", gettext_lazy("Train agents on the service scripts")
    KNOWLEDGE_ARTICLES = "knowledge_articles", gettext_lazy("Write the missing articles")


DEFAULT_EFFORT: dict[str, int] = {
    MeasureKind.COMPLAINT_QUEUE: 1,
    MeasureKind.EXPEDITE_HIGH_PRIORITY: 1,
    MeasureKind.FEEDBACK_QUEUE: 1,
    MeasureKind.STAFFING: 3,
    MeasureKind.CHAT_STAFFING: 3,
    MeasureKind.ESCALATION_PATHS: 2,
    MeasureKind.FIRST_LINE: 3,
    MeasureKind.ROOT_CAUSE: 4,
    MeasureKind.EXPERT_FOLLOW_UP: 2,
    MeasureKind.DETRACTOR_RECOVERY: 2,
    MeasureKind.COMPLAINT_PREVENTION: 4,
    MeasureKind.SCRIPT_TRAINING: 2,
    MeasureKind.KNOWLEDGE_ARTICLES: 2,
}

INDICATOR_MEASURES: dict[str, str] = {
    "response_on_time_rate": MeasureKind.STAFFING,
    "first_response_median": MeasureKind.STAFFING,
    "chat_reception_rate": MeasureKind.CHAT_STAFFING,
    "resolution_on_time_rate": MeasureKind.ESCALATION_PATHS,
    "first_contact_resolution": MeasureKind.FIRST_LINE,
    "reopen_rate": MeasureKind.ROOT_CAUSE,
    "repeat_contact_rate": MeasureKind.ROOT_CAUSE,
    "escalated_resolution_rate": MeasureKind.EXPERT_FOLLOW_UP,
    "csat": MeasureKind.DETRACTOR_RECOVERY,
    "nps": MeasureKind.DETRACTOR_RECOVERY,
    "complaint_rate": MeasureKind.COMPLAINT_PREVENTION,
    "feedback_answered_rate": MeasureKind.FEEDBACK_QUEUE,
}

RULE_MEASURES: dict[str, str] = {
    Rule.COMPLAINT_UNANSWERED: MeasureKind.COMPLAINT_QUEUE,
    Rule.HIGH_PRIORITY_BREACHED: MeasureKind.EXPEDITE_HIGH_PRIORITY,
    Rule.FEEDBACK_UNANSWERED: MeasureKind.FEEDBACK_QUEUE,
    Rule.CATEGORY_REPEAT_RATE: MeasureKind.ROOT_CAUSE,
    Rule.TEAM_ON_TIME_BELOW_GOAL: MeasureKind.STAFFING,
    Rule.INCONSISTENT_SCRIPT: MeasureKind.SCRIPT_TRAINING,
    Rule.KNOWLEDGE_GAP: MeasureKind.KNOWLEDGE_ARTICLES,
}


class Quadrant(StrEnum):
    """Impact × effort quadrants, in the order the table lists them."""

    QUICK_WIN = "quick_win"
    MAJOR_PROJECT = "major_project"
    FILL_IN = "fill_in"
    THANKLESS = "thankless"


QUADRANT_ORDER = {quadrant: position for position, quadrant in enumerate(Quadrant)}
QUADRANT_LABELS = {
    Quadrant.QUICK_WIN: gettext_lazy("Quick win"),
    Quadrant.MAJOR_PROJECT: gettext_lazy("Major project"),
    Quadrant.FILL_IN: gettext_lazy("Fill-in"),
    Quadrant.THANKLESS: gettext_lazy("Thankless task"),
}


@dataclass(frozen=True)
class Improvement:
    """One candidate measure with its impact, effort, priority and quadrant."""

    measure: str
    measure_label: str
    title: str
    source: str  # the indicator key or the problem rule it comes from
    impact: int
    effort: int
    priority: float
    quadrant: str
    reason: str = ""  # the gap in words: the indicator and its value, or the problem

    @property
    def quadrant_label(self) -> str:
        """The quadrant in the reader's language."""
        return str(QUADRANT_LABELS[Quadrant(self.quadrant)])


def impact_level(gap: float, reach: float) -> int:
    """1–5 from gap × reach (both 0–1)."""
    size = max(0.0, min(1.0, gap)) * max(0.0, min(1.0, reach))
    for threshold, level in IMPACT_STEPS:
        if size >= threshold:
            return level
    return 1


def quadrant_of(impact: int, effort: int) -> Quadrant:
    """Quick win, major project, fill-in or thankless task."""
    if impact >= 3:
        return Quadrant.QUICK_WIN if effort <= 2 else Quadrant.MAJOR_PROJECT
    return Quadrant.FILL_IN if effort <= 2 else Quadrant.THANKLESS


def improvement_of(
    *,
    measure: str,
    title: str,
    source: str,
    gap: float,
    reach: float,
    effort: int,
    reason: str = "",
) -> Improvement:
    """A candidate measure scored."""
    impact = impact_level(gap, reach)
    return Improvement(
        measure=measure,
        measure_label=str(MeasureKind(measure).label),
        title=title,
        source=source,
        impact=impact,
        effort=effort,
        priority=round(impact / effort, 2),
        quadrant=quadrant_of(impact, effort).value,
        reason=reason,
    )


def improvements_ranked(improvements: Iterable[Improvement]) -> list[Improvement]:
    """Quick wins first, then by priority, impact and title; one row per title (the highest)."""
    best: dict[str, Improvement] = {}
    for improvement in improvements:
        kept = best.get(improvement.title)
        if kept is None or improvement.impact > kept.impact:
            best[improvement.title] = improvement
    return sorted(
        best.values(),
        key=lambda row: (
            QUADRANT_ORDER[Quadrant(row.quadrant)],
            -row.priority,
            -row.impact,
            row.title,
        ),
    )


def _problem_title(measure: str, problem: Problem) -> str:
    if not problem.subject:
        return str(MeasureKind(measure).label)
    if measure == MeasureKind.ROOT_CAUSE:
        return _("Fix the root cause of repeat contacts in %(category)s") % {
            "category": problem.subject
        }
    if measure == MeasureKind.STAFFING:
        return _("Staff team %(team)s at peak hours") % {"team": problem.subject}
    if measure == MeasureKind.SCRIPT_TRAINING:
        return _("Train %(agent)s on the %(script)s script") % {
            "agent": problem.details.get("agent", ""),
            "script": problem.details.get("script", ""),
        }
    if measure == MeasureKind.KNOWLEDGE_ARTICLES:
        return _("Add knowledge articles for %(terms)s") % {"terms": problem.subject}
    return f"{MeasureKind(measure).label}: {problem.subject}"


def improvements_from(
    *, evidence: list[Evidence], problems: list[Problem], volume: int, efforts: dict[str, int]
) -> list[Improvement]:
    """The candidate measures of every gap, ranked (``efforts`` overrides the defaults)."""
    tickets = max(1, volume)

    def effort(measure: str) -> int:
        return efforts.get(measure, DEFAULT_EFFORT[measure])

    candidates = []
    for row in evidence:
        if row.sub_score is None or row.meets_goal:
            continue
        measure = INDICATOR_MEASURES[row.key]
        reach = 1.0 if row.touches_all else min(1.0, row.sample / tickets)
        candidates.append(
            improvement_of(
                measure=measure,
                title=str(MeasureKind(measure).label),
                source=row.key,
                gap=(100.0 - row.sub_score) / 100.0,
                reach=reach,
                effort=effort(measure),
                reason=_("%(indicator)s: %(value)s (goal %(goal)s)")
                % {
                    "indicator": row.label,
                    "value": figure(row.value, row.unit),
                    "goal": figure(row.goal, row.unit),
                },
            )
        )
    for problem in problems:
        measure = RULE_MEASURES[problem.rule]
        candidates.append(
            improvement_of(
                measure=measure,
                title=_problem_title(measure, problem),
                source=problem.rule,
                gap=problem.gap,
                reach=min(1.0, problem.affected / tickets),
                effort=effort(measure),
                reason=problem.title,
            )
        )
    return improvements_ranked(candidates)
