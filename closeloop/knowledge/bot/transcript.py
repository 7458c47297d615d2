"""A bot conversation's turns, kept on ``BotConversation.transcript``, and the summary a
person reads when the conversation comes to them."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from closeloop.core import clock
from closeloop.knowledge.bot.decide import State
from closeloop.knowledge.models import Article, BotConversation

MAX_TURNS_KEPT = 60
MAX_TEXT = 2000

REASON_LABELS = {
    "asked_for_person": gettext_lazy("the customer asked for a person"),
    "low_confidence": gettext_lazy("no article matched well enough"),
    "not_helpful": gettext_lazy("the customer said the answer did not help"),
    "none_of_these": gettext_lazy("none of the offered articles fitted"),
    "abandoned": gettext_lazy("the customer went quiet before it was answered"),
    "taken_over": gettext_lazy("a person took the conversation over"),
    "ticket_submitted": gettext_lazy("the customer sent a request"),
}


def article_facts(article: Article, confidence: float | None) -> dict[str, Any]:
    """How a turn names an article."""
    facts: dict[str, Any] = {"id": article.pk, "slug": article.slug, "title": article.title}
    if confidence is not None:
        facts["confidence"] = round(float(confidence), 3)
    return facts


def add_turn(conversation: BotConversation, role: str, text: str, **facts: Any) -> None:
    """Append one turn (the customer's or the bot's), keeping the latest ones."""
    turn: dict[str, Any] = {"at": clock.now().isoformat(), "role": role, "text": text[:MAX_TEXT]}
    turn.update({key: value for key, value in facts.items() if value is not None})
    conversation.transcript = [*(conversation.transcript or []), turn][-MAX_TURNS_KEPT:]


def last_bot_turn(conversation: BotConversation) -> dict[str, Any] | None:
    """The bot's latest turn, if any."""
    for turn in reversed(conversation.transcript or []):
        if turn.get("role") == "bot":
            return turn
    return None


def seen_message(conversation: BotConversation, message_id: int) -> bool:
    """Whether this ticket message was already taken into the conversation (a replay)."""
    return any(
        turn.get("message_id") == message_id for turn in (conversation.transcript or [])[-10:]
    )


def state_of(conversation: BotConversation) -> State:
    """What is pending in the conversation: an answer awaiting yes/no, or choices."""
    turn = last_bot_turn(conversation)
    if turn is None or turn.get("kind") not in ("answer", "choices"):
        return State()
    articles = turn.get("articles") or []
    return State(
        last_kind=str(turn["kind"]),
        offered=[int(item["id"]) for item in articles],
        offered_titles=[str(item.get("title", "")) for item in articles],
        offered_confidences=[float(item.get("confidence", 0.0)) for item in articles],
    )


def summary(conversation: BotConversation) -> str:
    """The internal note a person reads at hand-off: what the customer asked, what the bot
    offered and how sure it was, and why it handed over."""
    lines = [
        _("FAQ bot: %(reason)s.")
        % {
            "reason": str(
                REASON_LABELS.get(conversation.handoff_reason, conversation.handoff_reason)
            )
        }
    ]
    for turn in conversation.transcript or []:
        text = " ".join(str(turn.get("text", "")).split())
        if turn.get("role") == "customer":
            lines.append(_("Customer: %(text)s") % {"text": text[:300]})
            continue
        articles = turn.get("articles") or []
        offered = "; ".join(
            f"{item.get('title', '')} ({item['confidence']:.2f})"
            if "confidence" in item
            else str(item.get("title", ""))
            for item in articles
        )
        kind = turn.get("kind", "")
        if kind == "answer":
            lines.append(_("Bot answered with: %(articles)s") % {"articles": offered})
        elif kind == "choices":
            lines.append(_("Bot offered: %(articles)s") % {"articles": offered})
        elif kind == "handoff" and offered:
            lines.append(_("Closest articles: %(articles)s") % {"articles": offered})
    return "\n".join(lines)
