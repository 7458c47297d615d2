"""What agents and administrators do with the bot: try it, retrain it, change its settings,
and read its conversations."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from closeloop.core.errors import InvalidInput, PermissionDenied
from closeloop.knowledge.bot.conversation import (
    ALL_CHANNELS,
    ArticleLookup,
    answer,
    decide_for,
    offer,
)
from closeloop.knowledge.bot.decide import State
from closeloop.knowledge.bot.intents import language_of
from closeloop.knowledge.bot.portal import BotReply, _articles_out
from closeloop.knowledge.bot.replies import portal_handoff_text
from closeloop.knowledge.bot.store import (
    TrainResult,
    active_matcher,
    bot_settings,
    clear_matcher_cache,
    matcher_train,
)
from closeloop.knowledge.models import BotConversation, BotOutcome, BotSettings
from closeloop.people.access import Requester
from closeloop.tickets.selectors import tickets_visible_to

MAX_CHOICES = 5
MAX_IDLE_MINUTES = 7 * 24 * 60
EDITABLE = (
    "is_enabled",
    "channels",
    "answer_threshold",
    "choices_threshold",
    "max_choices",
    "idle_minutes",
    "generative_enabled",
    "generative_url",
    "generative_model",
)


def bot_try(*, text: str, language: str = "en") -> BotReply:
    """What the bot would answer to ``text`` as a first message; records nothing."""
    question = (text or "").strip()
    if not question:
        raise InvalidInput(_("Type a question to try."), details={"field": "text"})
    conversation = BotConversation(
        channel="portal", language=language_of(question, preferred=language)
    )
    matcher = active_matcher()
    if matcher is None:
        return BotReply("handoff", portal_handoff_text(language=conversation.language))
    bot = bot_settings()
    lookup = ArticleLookup(matcher)
    decision = decide_for(conversation, question, lookup, bot, State())
    if decision.kind == "answer":
        article_id, confidence = decision.articles[0]
        said = answer(
            conversation,
            lookup.articles[article_id],
            confidence,
            question=question,
            bot=bot,
            record=False,
        )
        return BotReply("answer", said.text, _articles_out(said.articles))
    if decision.kind == "choices":
        said = offer(conversation, decision.articles, lookup.articles, record=False)
        return BotReply("choices", said.text, _articles_out(said.articles))
    closest = [
        {
            "id": article_id,
            "slug": lookup.articles[article_id].slug,
            "title": lookup.articles[article_id].title,
            "summary": lookup.articles[article_id].summary,
            "confidence": confidence,
        }
        for article_id, confidence in decision.articles
        if article_id in lookup.articles
    ]
    return BotReply("handoff", portal_handoff_text(language=conversation.language), closest)


def _require_admin(requester: Requester) -> None:
    if not requester.is_admin:
        raise PermissionDenied(_("Only administrators can change the bot."))


def bot_train(*, requester: Requester, force: bool = True) -> TrainResult:
    """Retrain the matcher now (administrators)."""
    _require_admin(requester)
    return matcher_train(force=force)


def clean_settings(changes: dict[str, Any], current: BotSettings) -> dict[str, Any]:
    """The changes checked against each other and the current settings (InvalidInput)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInput(
            _("These settings cannot be changed: %(fields)s.") % {"fields": ", ".join(unknown)},
            details={"fields": unknown},
        )
    cleaned = dict(changes)
    if "channels" in cleaned:
        channels = list(dict.fromkeys(cleaned["channels"] or []))
        wrong = [channel for channel in channels if channel not in ALL_CHANNELS]
        if wrong:
            raise InvalidInput(
                _("The bot answers only on chat, wechat, app and portal."),
                details={"field": "channels", "allowed": list(ALL_CHANNELS)},
            )
        cleaned["channels"] = channels
    for field in ("answer_threshold", "choices_threshold"):
        if field in cleaned and not 0 <= float(cleaned[field]) <= 1:
            raise InvalidInput(
                _("%(field)s must be between 0 and 1.") % {"field": field},
                details={"field": field},
            )
    answer_at = float(cleaned.get("answer_threshold", current.answer_threshold))
    choices_at = float(cleaned.get("choices_threshold", current.choices_threshold))
    if choices_at > answer_at:
        raise InvalidInput(
            _("The choices threshold cannot be above the answer threshold."),
            details={"field": "choices_threshold"},
        )
    if "max_choices" in cleaned and not 1 <= int(cleaned["max_choices"]) <= MAX_CHOICES:
        raise InvalidInput(
            _("max_choices must be between 1 and %(limit)d.") % {"limit": MAX_CHOICES},
            details={"field": "max_choices"},
        )
    if "idle_minutes" in cleaned and not 1 <= int(cleaned["idle_minutes"]) <= MAX_IDLE_MINUTES:
        raise InvalidInput(
            _("idle_minutes must be between 1 and %(limit)d.") % {"limit": MAX_IDLE_MINUTES},
            details={"field": "idle_minutes"},
        )
    url = cleaned.get("generative_url")
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 200:
            raise InvalidInput(
                _("The model endpoint must be an http(s) URL."),
                details={"field": "generative_url"},
            )
    enabling = cleaned.get("generative_enabled", current.generative_enabled)
    if enabling and not cleaned.get("generative_url", current.generative_url):
        raise InvalidInput(
            _("Generative answers need the model endpoint's URL."),
            details={"field": "generative_url"},
        )
    if len(str(cleaned.get("generative_model", ""))) > 100:
        raise InvalidInput(_("The model name is too long."), details={"field": "generative_model"})
    return cleaned


@transaction.atomic
def bot_settings_update(*, requester: Requester, changes: dict[str, Any]) -> BotSettings:
    """Change the bot's settings (administrators); applies in this process at once."""
    _require_admin(requester)
    row, _created = BotSettings.objects.select_for_update().get_or_create(
        id=BotSettings.SINGLETON_ID
    )
    for field, value in clean_settings(changes, row).items():
        setattr(row, field, value)
    row.save()
    clear_matcher_cache()
    transaction.on_commit(clear_matcher_cache)
    return row


def bot_settings_read(*, requester: Requester) -> BotSettings:
    """The settings as stored (administrators)."""
    _require_admin(requester)
    row, _created = BotSettings.objects.get_or_create(id=BotSettings.SINGLETON_ID)
    return row


def conversations_visible_to(requester: Requester) -> QuerySet[BotConversation]:
    """Bot conversations the requester may read: portal ones without a ticket, and those on
    tickets they may see."""
    if requester.is_admin:
        return BotConversation.objects.all()
    return BotConversation.objects.filter(
        Q(ticket__isnull=True) | Q(ticket__in=tickets_visible_to(requester))
    )


def bot_statistics(
    conversations: QuerySet[BotConversation],
) -> dict[str, Any]:
    """Outcomes of the given conversations: counts, hand-off reasons, and the bot share
    (resolved ÷ ended; a customer's "no" counts as not resolved)."""
    outcomes = dict(conversations.values_list("outcome").annotate(count=Count("id")).order_by())
    reasons = dict(
        conversations.exclude(handoff_reason="")
        .values_list("handoff_reason")
        .annotate(count=Count("id"))
        .order_by()
    )
    confirmed = dict(
        conversations.exclude(is_confirmed=None)
        .values_list("is_confirmed")
        .annotate(count=Count("id"))
        .order_by()
    )
    ended = sum(count for outcome, count in outcomes.items() if outcome != BotOutcome.ACTIVE)
    resolved = outcomes.get(BotOutcome.RESOLVED, 0)
    return {
        "conversations": sum(outcomes.values()),
        "outcomes": {outcome.value: outcomes.get(outcome.value, 0) for outcome in BotOutcome},
        "handoff_reasons": reasons,
        "confirmed_helpful": confirmed.get(True, 0),
        "said_not_helpful": confirmed.get(False, 0),
        "bot_share": round(resolved / ended, 4) if ended else None,
    }
