"""The bot over HTTP, for agents and administrators (mounted at /api/v1/bot): its
conversations, trying it, retraining it, its settings. The portal calls the bot's Python
functions directly; there is no token-less bot endpoint."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from closeloop.core.errors import InvalidInput, NotFound
from closeloop.knowledge.bot.operations import (
    bot_settings_read,
    bot_settings_update,
    bot_statistics,
    bot_train,
    bot_try,
    conversations_visible_to,
)
from closeloop.knowledge.bot.schemas import (
    ConversationDetailOut,
    ConversationListOut,
    SettingsIn,
    SettingsOut,
    StatisticsOut,
    TrainOut,
    TryIn,
    TryOut,
    conversation_out,
    settings_out,
)
from closeloop.knowledge.models import BotOutcome
from closeloop.people.access import requester_for

router = Router(tags=["bot"])

MAX_LIST = 200


class ConversationQuery(Schema):
    outcome: str | None = Field(None, max_length=12)
    channel: str | None = Field(None, max_length=20)
    since: datetime | None = None
    until: datetime | None = None
    limit: int = Field(50, ge=1, le=MAX_LIST)
    offset: int = Field(0, ge=0)


def _aware(value: datetime | None, field: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise InvalidInput(
            _("%(field)s needs a UTC offset, e.g. 2026-01-05T10:00+08:00.") % {"field": field},
            details={"field": field},
        )
    return value


@router.get("/conversations", response=ConversationListOut, summary="Bot conversations")
def conversation_list(request: HttpRequest, query: Query[ConversationQuery]) -> dict[str, object]:
    requester = requester_for(request.user)
    rows = conversations_visible_to(requester)
    if query.outcome:
        if query.outcome not in BotOutcome.values:
            raise InvalidInput(
                _("outcome must be one of: %(values)s.") % {"values": ", ".join(BotOutcome.values)},
                details={"field": "outcome"},
            )
        rows = rows.filter(outcome=query.outcome)
    if query.channel:
        rows = rows.filter(channel=query.channel)
    if (since := _aware(query.since, "since")) is not None:
        rows = rows.filter(started_at__gte=since)
    if (until := _aware(query.until, "until")) is not None:
        rows = rows.filter(started_at__lt=until)
    rows = rows.order_by("-started_at", "-id")
    page = rows[query.offset : query.offset + query.limit]
    return {"items": [conversation_out(row) for row in page], "count": rows.count()}


class StatisticsQuery(Schema):
    channel: str | None = Field(None, max_length=20)
    since: datetime | None = None
    until: datetime | None = None


@router.get("/statistics", response=StatisticsOut, summary="Outcomes and the bot share")
def statistics_view(request: HttpRequest, query: Query[StatisticsQuery]) -> dict[str, object]:
    rows = conversations_visible_to(requester_for(request.user))
    if query.channel:
        rows = rows.filter(channel=query.channel)
    if (since := _aware(query.since, "since")) is not None:
        rows = rows.filter(started_at__gte=since)
    if (until := _aware(query.until, "until")) is not None:
        rows = rows.filter(started_at__lt=until)
    return bot_statistics(rows)


@router.get(
    "/conversations/{conversation_id}",
    response=ConversationDetailOut,
    summary="One bot conversation with its transcript",
)
def conversation_detail(request: HttpRequest, conversation_id: int) -> dict[str, object]:
    requester = requester_for(request.user)
    row = conversations_visible_to(requester).filter(pk=conversation_id).first()
    if row is None:
        raise NotFound(_("Bot conversation %(id)s not found.") % {"id": conversation_id})
    return conversation_out(row, detail=True)


@router.post("/try", response=TryOut, summary="What the bot would answer (records nothing)")
def try_view(request: HttpRequest, payload: TryIn) -> dict[str, object]:
    requester_for(request.user)
    reply = bot_try(text=payload.text, language=payload.language)
    return {"kind": reply.kind, "text": reply.text, "articles": reply.articles}


@router.post("/train", response=TrainOut, summary="Retrain the bot now (administrators)")
def train_view(request: HttpRequest) -> dict[str, object]:
    result = bot_train(requester=requester_for(request.user))
    model = result.model
    return {
        "status": result.status,
        "articles": result.articles,
        "trained_at": model.trained_at if model else None,
        "seconds": model.seconds if model else None,
    }


@router.get("/settings", response=SettingsOut, summary="The bot's settings (administrators)")
def settings_view(request: HttpRequest) -> SettingsOut:
    return settings_out(bot_settings_read(requester=requester_for(request.user)))


@router.patch("/settings", response=SettingsOut, summary="Change the bot's settings (admins)")
def settings_update_view(request: HttpRequest, payload: SettingsIn) -> SettingsOut:
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    row = bot_settings_update(requester=requester_for(request.user), changes=changes)
    return settings_out(row)
