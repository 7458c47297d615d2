"""Training the matcher from the database: idempotent on unchanged articles, retrained when
one changes, queued by an article's save, seen by every process within seconds, and the
``closeloop bot`` command."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from closeloop.knowledge.bot import store
from closeloop.knowledge.bot.store import (
    active_matcher,
    clear_matcher_cache,
    current_fingerprint,
    matcher_train,
)
from closeloop.knowledge.models import Article, FaqModel
from closeloop.knowledge.tests.bot_articles import make_articles

pytestmark = pytest.mark.django_db


def _training_tasks() -> int:
    return DBTaskResult.objects.filter(task_path__endswith="bot_train_task").count()


def test_training_is_idempotent_and_follows_article_changes():
    articles = make_articles()
    first = matcher_train()
    assert (first.status, first.articles) == ("trained", 6)
    assert first.model.fingerprint == current_fingerprint()
    assert (first.model.article_count, first.model.example_count) == (6, 6 * 2 + 27)
    assert matcher_train().status == "unchanged"
    assert FaqModel.objects.count() == 1
    Article.objects.filter(pk=articles[0].pk).update(status="archived")
    again = matcher_train()
    assert (again.status, again.articles) == ("trained", 5)
    assert again.model.fingerprint != first.model.fingerprint
    for _ in range(4):
        matcher_train(force=True)
    assert FaqModel.objects.count() == store.KEEP_MODELS


def test_too_few_articles_leave_no_matcher_and_the_bot_silent():
    articles = make_articles()
    matcher_train()
    Article.objects.exclude(pk=articles[0].pk).update(visibility="internal")
    result = matcher_train()
    assert (result.status, result.articles) == ("too_few_articles", 1)
    assert not FaqModel.objects.exists()
    assert active_matcher() is None


def _committed() -> None:
    """Stand for a commit: the test's one transaction never commits, so its after-commit
    list (where the receiver notes that training is queued) is emptied by hand."""
    from django.db import connection

    connection.run_on_commit.clear()


def test_saving_articles_queues_one_training_per_transaction():
    before = _training_tasks()
    _committed()
    articles = make_articles()  # six saves in one transaction
    assert _training_tasks() == before + 1
    _committed()
    articles[0].view_count += 1
    articles[0].save(update_fields=["view_count"])  # a counter: nothing the matcher learns
    assert _training_tasks() == before + 1
    articles[0].title = "Reset your password now"
    articles[0].save()
    assert _training_tasks() == before + 2
    _committed()
    articles[1].delete()
    assert _training_tasks() == before + 3


def test_each_process_notices_a_new_matcher_within_seconds(monkeypatch):
    make_articles()
    assert active_matcher() is None  # nothing trained: cached as nothing
    matcher_train()
    # A process that cached "nothing" a moment ago keeps it until its next check …
    store._cache.checked_at = store.time.monotonic()
    store._cache.model_id = None
    store._cache.matcher = None
    assert active_matcher() is None
    # … and loads the new one once CHECK_SECONDS have passed.
    store._cache.checked_at -= store.CHECK_SECONDS + 0.1
    assert active_matcher() is not None


def test_bot_command_trains_and_answers():
    make_articles()
    out = io.StringIO()
    call_command("bot", "train", stdout=out)
    assert out.getvalue().startswith("trained: 6 articles, 39 examples")
    out = io.StringIO()
    call_command("bot", "train", stdout=out)
    assert out.getvalue().startswith("unchanged")
    clear_matcher_cache()
    out = io.StringIO()
    call_command("bot", "ask", "where is my parcel", stdout=out)
    assert out.getvalue().startswith("[answer]\n  1.000  Track your order  (track-order)")


def test_beyond_the_limit_the_most_used_articles_are_learned(monkeypatch):
    articles = make_articles()
    Article.objects.filter(pk=articles[4].pk).update(helpful_count=5)
    Article.objects.filter(pk=articles[2].pk).update(view_count=9)
    monkeypatch.setattr(store, "MAX_ARTICLES", 2)
    result = matcher_train()
    assert (result.status, result.articles) == ("trained", 2)
    clear_matcher_cache()
    assert sorted(active_matcher().article_ids) == sorted([articles[4].pk, articles[2].pk])
