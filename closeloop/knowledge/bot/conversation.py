"""What every bot conversation shares, whatever the channel: reading the matcher against the
articles customers may see, answering (and recording the use), ending as resolved."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from closeloop.core import clock
from closeloop.knowledge.bot.decide import Decision, State, Thresholds, decide
from closeloop.knowledge.bot.generative import generative_answer
from closeloop.knowledge.bot.matcher import FaqMatcher, Match
from closeloop.knowledge.bot.replies import (
    answer_text,
    article_url,
    choices_text,
    excerpt,
    none_word,
    yes_no_words,
)
from closeloop.knowledge.bot.transcript import add_turn, article_facts
from closeloop.knowledge.models import (
    Article,
    ArticleStatus,
    ArticleUse,
    BotConversation,
    BotSettings,
    SelfServiceKind,
    SelfServiceSuccess,
    UseKind,
    Visibility,
)

TICKET_CHANNELS = frozenset({"chat", "wechat", "app"})
ALL_CHANNELS = ("chat", "wechat", "app", "portal")


def serves(bot: BotSettings, channel: str) -> bool:
    """Whether the bot is on and answers on ``channel`` (no channels listed: all four)."""
    return bool(bot.is_enabled) and channel in (bot.channels or ALL_CHANNELS)


def thresholds_of(bot: BotSettings) -> Thresholds:
    """The decision thresholds of the settings."""
    return Thresholds(
        answer=bot.answer_threshold,
        choices=bot.choices_threshold,
        max_choices=max(1, bot.max_choices),
    )


def _public(ids: Iterable[int]) -> dict[int, Article]:
    wanted = list(ids)
    if not wanted:
        return {}
    return {
        article.pk: article
        for article in Article.objects.filter(
            pk__in=wanted, status=ArticleStatus.PUBLISHED, visibility=Visibility.PUBLIC
        )
    }


class ArticleLookup:
    """The matcher, narrowed to articles customers may read now (a matcher trained before an
    article was archived never offers it), with the articles it loaded."""

    def __init__(self, matcher: FaqMatcher | None) -> None:
        self.matcher = matcher
        self.articles: dict[int, Article] = {}

    def load(self, ids: Iterable[int]) -> None:
        missing = [article_id for article_id in ids if article_id not in self.articles]
        self.articles.update(_public(missing))

    def match(self, text: str) -> Match:
        if self.matcher is None:
            return Match()
        found = self.matcher.match(text)
        self.load(article_id for article_id, _confidence in found.ranked)
        return Match(ranked=[pair for pair in found.ranked if pair[0] in self.articles])


def decide_for(
    conversation: BotConversation, text: str, lookup: ArticleLookup, bot: BotSettings, state: State
) -> Decision:
    """The decision for one message, with the articles it names loaded (an offered article
    that is no longer public is not picked: the text is matched afresh)."""
    decision = decide(text=text, state=state, match=lookup.match, thresholds=thresholds_of(bot))
    lookup.load(article_id for article_id, _confidence in decision.articles)
    if decision.kind in ("answer", "choices"):
        kept = [pair for pair in decision.articles if pair[0] in lookup.articles]
        if not kept:
            return decide(
                text=text, state=State(), match=lookup.match, thresholds=thresholds_of(bot)
            )
        decision = Decision(decision.kind, articles=kept, reason=decision.reason)
    return decision


def in_language(article: Article, language: str) -> Article:
    """The article's public translation in ``language`` when it has one, else itself."""
    if article.language == language:
        return article
    root = article.translation_of_id or article.pk
    translation = (
        Article.objects.filter(
            Q(pk=root) | Q(translation_of_id=root),
            language=language,
            status=ArticleStatus.PUBLISHED,
            visibility=Visibility.PUBLIC,
        )
        .exclude(pk=article.pk)
        .first()
    )
    return translation or article


@dataclass(frozen=True)
class Said:
    """What the bot says, and the facts the chat widget draws buttons from."""

    text: str
    meta: dict[str, Any]
    articles: list[dict[str, Any]]


def answer(
    conversation: BotConversation,
    article: Article,
    confidence: float,
    *,
    question: str,
    bot: BotSettings,
    record: bool = True,
) -> Said:
    """Answer with ``article`` (in the conversation's language when translated), phrased by
    the model when generative mode is on; record the use unless only trying the bot."""
    language = conversation.language
    article = in_language(article, language)
    generated = generative_answer(question=question, articles=[article], language=language, bot=bot)
    text = answer_text(article, language=language, body=generated or "")
    # The gist is what a page shows beside its own link and buttons (the text is for chats).
    facts = {
        **article_facts(article, confidence),
        "summary": article.summary,
        "gist": generated or excerpt(article),
    }
    yes, no = yes_no_words(language)
    meta = {
        "kind": "answer",
        "article": {**facts, "url": article_url(article)},
        "feedback": [yes, no],
        "generated": bool(generated),
    }
    if record:
        now = clock.now()
        ArticleUse.objects.create(
            article=article,
            kind=UseKind.BOT_ANSWERED,
            ticket=conversation.ticket,
            customer=conversation.customer,
            channel=conversation.channel,
            session_key=conversation.session_key,
            created_at=now,
        )
        conversation.answered_article = article
        conversation.offered = []
        add_turn(
            conversation,
            "bot",
            text,
            kind="answer",
            articles=[article_facts(article, confidence)],
            generated=True if generated else None,
        )
    return Said(text=text, meta=meta, articles=[facts])


def offer(
    conversation: BotConversation,
    ranked: list[tuple[int, float]],
    articles: dict[int, Article],
    *,
    record: bool = True,
) -> Said:
    """Offer the best articles, numbered."""
    chosen = [(articles[article_id], confidence) for article_id, confidence in ranked]
    text = choices_text([article for article, _c in chosen], language=conversation.language)
    facts = [
        {**article_facts(article, confidence), "summary": article.summary}
        for article, confidence in chosen
    ]
    meta = {
        "kind": "choices",
        "choices": [
            {"reply": str(number), "title": article.title}
            for number, (article, _c) in enumerate(chosen, start=1)
        ],
        "none": none_word(conversation.language),
    }
    if record:
        conversation.offered = [article.pk for article, _c in chosen]
        add_turn(
            conversation,
            "bot",
            text,
            kind="choices",
            articles=[article_facts(article, confidence) for article, confidence in chosen],
        )
    return Said(text=text, meta=meta, articles=facts)


def record_success(conversation: BotConversation) -> None:
    """Count the bot's resolution as a self-service success."""
    SelfServiceSuccess.objects.create(
        kind=SelfServiceKind.BOT_RESOLVED,
        channel=conversation.channel,
        customer=conversation.customer,
        article=conversation.answered_article,
        created_at=clock.now(),
    )
