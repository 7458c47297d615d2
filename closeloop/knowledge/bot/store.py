"""Training the matcher from the database, keeping it as a ``FaqModel`` row, and each
process's copy of the newest one (re-checked every few seconds, like the triage classifier)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from django.db import transaction

from closeloop.core import clock
from closeloop.core.cache import ProcessCache
from closeloop.knowledge.bot.matcher import ArticleText, FaqMatcher, MatcherBytesError, fingerprint
from closeloop.knowledge.models import (
    Article,
    ArticleStatus,
    BotSettings,
    FaqModel,
    Visibility,
)

logger = logging.getLogger(__name__)

# How long a process trusts its copy of the newest matcher before asking which row is newest
# (one indexed read of one integer): the most a worker lags behind a retraining.
CHECK_SECONDS = 3.0
KEEP_MODELS = 2
# The matcher's linear model holds a weight per (article, feature): about 50 MB and 10 s of
# training at 300 articles of ~10 questions, 265 MB and 2 minutes at 1,000. An FAQ bot answers
# the frequent questions, so beyond this it learns the most used articles.
MAX_ARTICLES = 1000

_settings_cache = ProcessCache(seconds=5.0)


def bot_settings() -> BotSettings:
    """The bot's settings from this process's cache (read-only use; created on first use)."""
    return _settings_cache.get("settings", _load_settings)


def _load_settings() -> BotSettings:
    row, _created = BotSettings.objects.get_or_create(id=BotSettings.SINGLETON_ID)
    return row


def answerable_articles() -> list[ArticleText]:
    """The published public articles as the matcher learns them (at most ``MAX_ARTICLES``,
    the most used: found helpful, then viewed, then the newest)."""
    rows = (
        Article.objects.filter(status=ArticleStatus.PUBLISHED, visibility=Visibility.PUBLIC)
        .order_by("-helpful_count", "-view_count", "-published_at", "-id")
        .values_list("id", "version", "title", "summary", "questions")[:MAX_ARTICLES]
    )
    return [
        ArticleText(
            id=article_id,
            version=version,
            title=title,
            summary=summary,
            questions=[line.strip() for line in questions.splitlines() if line.strip()],
        )
        for article_id, version, title, summary, questions in rows
    ]


def current_fingerprint() -> str:
    """The fingerprint of the articles the matcher would learn now."""
    return fingerprint(
        Article.objects.filter(status=ArticleStatus.PUBLISHED, visibility=Visibility.PUBLIC)
        .order_by("-helpful_count", "-view_count", "-published_at", "-id")
        .values_list("id", "version")[:MAX_ARTICLES]
    )


def latest_model() -> FaqModel | None:
    """The newest stored matcher row, without its bytes."""
    return FaqModel.objects.defer("model").order_by("-trained_at", "-id").first()


@dataclass(frozen=True)
class TrainResult:
    """What a training run did: trained (a new row), unchanged, or not enough articles."""

    status: str  # "trained" | "unchanged" | "too_few_articles"
    model: FaqModel | None
    articles: int


def matcher_train(*, force: bool = False) -> TrainResult:
    """Train and store a matcher when the published public articles changed since the newest
    one (or when ``force``); idempotent otherwise. Fewer than two articles: the newest row is
    dropped too, so the bot stops answering from articles that are gone."""
    articles = answerable_articles()
    digest = fingerprint((article.id, article.version) for article in articles)
    latest = latest_model()
    if not force and latest is not None and latest.fingerprint == digest:
        return TrainResult("unchanged", latest, len(articles))
    started = time.perf_counter()
    matcher = FaqMatcher.train(articles)
    seconds = time.perf_counter() - started
    if matcher is None:
        with transaction.atomic():
            FaqModel.objects.all().delete()
        _forget_after_commit()
        return TrainResult("too_few_articles", None, len(articles))
    with transaction.atomic():
        model = FaqModel.objects.create(
            fingerprint=digest,
            article_count=len(articles),
            example_count=sum(len(article.examples()) for article in articles),
            model=matcher.to_bytes(),
            evaluation={},
            trained_at=clock.now(),
            seconds=round(seconds, 3),
        )
        keep = list(
            FaqModel.objects.order_by("-trained_at", "-id").values_list("id", flat=True)[
                :KEEP_MODELS
            ]
        )
        FaqModel.objects.exclude(id__in=keep).delete()
    _forget_after_commit()
    return TrainResult("trained", model, len(articles))


def _forget_after_commit() -> None:
    clear_matcher_cache()
    transaction.on_commit(clear_matcher_cache)


class _MatcherCache:
    """This process's copy of the newest matcher."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.checked_at = -float("inf")
        self.model_id: int | None = None
        self.matcher: FaqMatcher | None = None

    def clear(self) -> None:
        with self.lock:
            self.checked_at = -float("inf")
            self.model_id = None
            self.matcher = None


_cache = _MatcherCache()


def clear_matcher_cache(**_kwargs: object) -> None:
    """Forget this process's matcher and settings (after a training here; between tests)."""
    _cache.clear()
    _settings_cache.clear()


def active_matcher() -> FaqMatcher | None:
    """The newest matcher (None when none is stored): every few seconds the process asks
    which row is newest and loads it only when that changed."""
    with _cache.lock:
        now = time.monotonic()
        if now - _cache.checked_at < CHECK_SECONDS:
            return _cache.matcher
        newest = (
            FaqModel.objects.order_by("-trained_at", "-id").values_list("id", flat=True).first()
        )
        if newest != _cache.model_id:
            _cache.matcher = None
            if newest is not None:
                blob = FaqModel.objects.filter(pk=newest).values_list("model", flat=True).first()
                try:
                    _cache.matcher = FaqMatcher.from_bytes(bytes(blob)) if blob else None
                except MatcherBytesError:
                    logger.exception("FAQ matcher %s cannot be read; the bot stays silent", newest)
            _cache.model_id = newest
        _cache.checked_at = now
        return _cache.matcher
