"""Input and output shapes of the triage API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from closeloop.triage.models import ClassifierVersion, TicketTriage
from closeloop.triage.tags import TagCount, TagStatistics
from closeloop.triage.taxonomy import CategoryNode


class SkillNeedOut(Schema):
    skill: str
    min_level: int


class CategoryOut(Schema):
    code: str
    name: str
    name_en: str
    name_zh: str
    family: str
    description: str
    default_kind: str | None
    default_priority: str | None
    team: str | None = Field(None, description="Team code")
    sla_policy: str | None = Field(None, description="SLA policy name")
    required_skills: list[SkillNeedOut]
    is_active: bool
    is_leaf: bool
    order: int
    children: list[CategoryOut]


CategoryOut.model_rebuild()


def category_out(
    node: CategoryNode, *, teams: dict[int, str], policies: dict[int, str]
) -> CategoryOut:
    category = node.category
    return CategoryOut(
        code=category.code,
        name=node.name,
        name_en=category.name_en,
        name_zh=category.name_zh,
        family=category.family,
        description=category.description,
        default_kind=category.default_kind or None,
        default_priority=category.default_priority or None,
        team=teams.get(category.team_id) if category.team_id else None,
        sla_policy=policies.get(category.sla_policy_id) if category.sla_policy_id else None,
        required_skills=[
            SkillNeedOut(skill=code, min_level=level) for code, level in node.required_skills
        ],
        is_active=category.is_active,
        is_leaf=node.is_leaf,
        order=category.order,
        children=[category_out(child, teams=teams, policies=policies) for child in node.children],
    )


class TaxonomyOut(Schema):
    language: str
    families: list[CategoryOut]
    leaf_count: int


class TagOut(Schema):
    name: str
    category: str | None = Field(None, description="Category code")
    score: float | None = Field(None, description="Only for suggestions: higher fits better")


class TagListOut(Schema):
    items: list[TagOut]


class TicketTagsIn(Schema):
    tags: list[str] = Field(..., min_length=1, max_length=20)


class TicketTagsOut(Schema):
    ticket_id: int
    tags: list[str]
    added: list[str]
    removed: list[str]


class TagCountOut(Schema):
    key: str
    count: int
    previous_count: int
    change: int
    change_percent: float | None


def tag_count_out(entry: TagCount) -> TagCountOut:
    return TagCountOut(
        key=entry.key,
        count=entry.count,
        previous_count=entry.previous_count,
        change=entry.change,
        change_percent=entry.change_percent,
    )


class TagStatisticsOut(Schema):
    since: datetime
    until: datetime
    previous_since: datetime
    total: int
    previous_total: int
    tags: list[TagCountOut]
    categories: list[TagCountOut] = Field(
        ..., description='Per category code of the tags ("" = tags without a category)'
    )


def tag_statistics_out(stats: TagStatistics) -> TagStatisticsOut:
    return TagStatisticsOut(
        since=stats.since,
        until=stats.until,
        previous_since=stats.previous_since,
        total=stats.total,
        previous_total=stats.previous_total,
        tags=[tag_count_out(entry) for entry in stats.tags],
        categories=[tag_count_out(entry) for entry in stats.categories],
    )


class CorrectionIn(Schema):
    category: str = Field(..., min_length=1, max_length=80, description="Problem type code")


class TriageOut(Schema):
    ticket_id: int
    category: str | None
    category_name: str | None
    confidence: float | None
    classifier_version: int | None
    source: str
    needs_triage: bool
    decided_at: datetime
    reason: dict[str, Any]


def triage_out(record: TicketTriage, *, language: str = "en") -> TriageOut:
    category = record.category
    return TriageOut(
        ticket_id=record.ticket_id,
        category=category.code if category else None,
        category_name=category.display_name(language) if category else None,
        confidence=record.confidence,
        classifier_version=record.classifier_version,
        source=record.source,
        needs_triage=record.needs_triage,
        decided_at=record.decided_at,
        reason=record.reason,
    )


class NeedsTriageItemOut(Schema):
    id: int
    number: int
    subject: str
    status: str
    priority: str
    created_at: datetime
    triage: TriageOut


class NeedsTriageListOut(Schema):
    items: list[NeedsTriageItemOut]
    count: int


class ClassifierVersionOut(Schema):
    number: int
    backend: str
    created_at: datetime
    trained_by: str
    examples_count: int
    labels: list[str]
    evaluation: dict[str, Any]
    is_active: bool
    activated_at: datetime | None
    previous: int | None = Field(None, description="Version active before this one")
    notes: str


def version_out(version: ClassifierVersion, *, numbers: dict[int, int]) -> ClassifierVersionOut:
    return ClassifierVersionOut(
        number=version.number,
        backend=version.backend,
        created_at=version.created_at,
        trained_by=version.trained_by,
        examples_count=version.examples_count,
        labels=version.labels,
        evaluation=version.evaluation,
        is_active=version.is_active,
        activated_at=version.activated_at,
        previous=numbers.get(version.previous_id) if version.previous_id else None,
        notes=version.notes,
    )


class ClassifierVersionListOut(Schema):
    items: list[ClassifierVersionOut]
