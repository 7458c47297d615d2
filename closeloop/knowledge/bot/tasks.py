"""Bot work run by ``closeloop worker``: retraining the matcher when articles change, and the
sweep that ends quiet conversations."""

from __future__ import annotations

from django_tasks import task


@task()
def bot_train_task() -> str:
    """Retrain the matcher if the published public articles changed (idempotent)."""
    from closeloop.knowledge.bot.store import matcher_train

    return matcher_train().status


@task(queue_name="sweeps")
def bot_sweep_task() -> int:
    """End quiet conversations, and retrain when articles changed without a signal (a bulk
    update): both are idempotent, so every sweep may run them."""
    from closeloop.knowledge.bot.service import bot_sweep_idle
    from closeloop.knowledge.bot.store import current_fingerprint, latest_model, matcher_train

    latest = latest_model()
    if latest is None or latest.fingerprint != current_fingerprint():
        matcher_train()
    return bot_sweep_idle()
