"""An article saved or deleted queues a retraining of the bot's matcher, after commit and
only when something the matcher learns may have changed (the task itself compares the
articles' fingerprint, so a save that changed nothing it learns trains nothing). Changed bot
settings apply at once in this process."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from closeloop.core.jobs import enqueue_with_transaction
from closeloop.knowledge.bot.store import clear_matcher_cache
from closeloop.knowledge.bot.tasks import bot_train_task
from closeloop.knowledge.models import Article, BotSettings

# Saving only these (counters, the rendered body) changes nothing the matcher learns.
IGNORED_FIELDS = frozenset(
    {"view_count", "helpful_count", "unhelpful_count", "body_html", "updated_at"}
)


@receiver(post_save, sender=Article, dispatch_uid="knowledge.bot.article_saved")
def _article_saved(
    sender: Any, instance: Article, update_fields: Any = None, **kwargs: Any
) -> None:
    if kwargs.get("raw"):
        return  # loading fixtures
    if update_fields is not None and set(update_fields) <= IGNORED_FIELDS:
        return
    _queue_training()


@receiver(post_delete, sender=Article, dispatch_uid="knowledge.bot.article_deleted")
def _article_deleted(sender: Any, instance: Article, **kwargs: Any) -> None:
    _queue_training()


def _mark() -> None:
    """Stands in the transaction's after-commit list: training is already queued in it."""


def _queue_training() -> None:
    """Queue one training per transaction, however many articles it saves (an import of
    10,000 articles queues one task, not 10,000)."""
    connection = transaction.get_connection()
    if any(getattr(entry[1], "bot_training", False) for entry in connection.run_on_commit):
        return
    enqueue_with_transaction(bot_train_task)
    if connection.in_atomic_block:
        marker = partial(_mark)
        marker.bot_training = True  # type: ignore[attr-defined]
        transaction.on_commit(marker)


post_save.connect(clear_matcher_cache, sender=BotSettings, dispatch_uid="knowledge.bot.settings")
