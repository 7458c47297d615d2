"""Input and output shapes of the bot API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from closeloop.knowledge.models import BotConversation, BotSettings


class ArticleChoiceOut(Schema):
    id: int
    slug: str
    title: str
    summary: str | None = None
    confidence: float | None = None


class TryIn(Schema):
    text: str = Field(..., min_length=1, max_length=2000)
    language: str = Field("en", max_length=10, description="en or zh-hans")


class TryOut(Schema):
    kind: str = Field(..., description="answer, choices or handoff")
    text: str
    articles: list[ArticleChoiceOut]


class TrainOut(Schema):
    status: str = Field(..., description="trained, unchanged or too_few_articles")
    articles: int
    trained_at: datetime | None
    seconds: float | None


class SettingsOut(Schema):
    is_enabled: bool
    channels: list[str]
    answer_threshold: float
    choices_threshold: float
    max_choices: int
    idle_minutes: int
    generative_enabled: bool
    generative_url: str
    generative_model: str
    updated_at: datetime | None


class SettingsIn(Schema):
    is_enabled: bool | None = None
    channels: list[str] | None = Field(None, max_length=4)
    answer_threshold: float | None = Field(None, ge=0, le=1)
    choices_threshold: float | None = Field(None, ge=0, le=1)
    max_choices: int | None = Field(None, ge=1, le=5)
    idle_minutes: int | None = Field(None, ge=1, le=10080)
    generative_enabled: bool | None = None
    generative_url: str | None = Field(None, max_length=200)
    generative_model: str | None = Field(None, max_length=100)


class ConversationOut(Schema):
    id: int
    channel: str
    language: str
    outcome: str
    handoff_reason: str
    is_confirmed: bool | None
    ticket_id: int | None
    customer_id: int | None
    answered_article_id: int | None
    turns: int
    started_at: datetime
    last_activity_at: datetime
    ended_at: datetime | None


class ConversationDetailOut(ConversationOut):
    transcript: list[dict[str, Any]]


class StatisticsOut(Schema):
    conversations: int
    outcomes: dict[str, int] = Field(..., description="active, resolved, handed_off, abandoned")
    handoff_reasons: dict[str, int]
    confirmed_helpful: int
    said_not_helpful: int
    bot_share: float | None = Field(
        ..., description="resolved ÷ ended conversations (None before any ended)"
    )


class ConversationListOut(Schema):
    items: list[ConversationOut]
    count: int


def settings_out(row: BotSettings) -> SettingsOut:
    """The settings as the API shows them."""
    return SettingsOut(
        is_enabled=row.is_enabled,
        channels=list(row.channels or []),
        answer_threshold=row.answer_threshold,
        choices_threshold=row.choices_threshold,
        max_choices=row.max_choices,
        idle_minutes=row.idle_minutes,
        generative_enabled=row.generative_enabled,
        generative_url=row.generative_url,
        generative_model=row.generative_model,
        updated_at=row.updated_at,
    )


def conversation_out(row: BotConversation, *, detail: bool = False) -> dict[str, Any]:
    """A conversation as the API shows it (with its transcript when ``detail``)."""
    out: dict[str, Any] = {
        "id": row.pk,
        "channel": row.channel,
        "language": row.language,
        "outcome": row.outcome,
        "handoff_reason": row.handoff_reason,
        "is_confirmed": row.is_confirmed,
        "ticket_id": row.ticket_id,
        "customer_id": row.customer_id,
        "answered_article_id": row.answered_article_id,
        "turns": row.turns,
        "started_at": row.started_at,
        "last_activity_at": row.last_activity_at,
        "ended_at": row.ended_at,
    }
    if detail:
        out["transcript"] = list(row.transcript or [])
    return out
