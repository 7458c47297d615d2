"""Queueing background work together with the change that asks for it."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django_tasks import task_backends


def enqueue_with_transaction(task: Any, *args: Any) -> None:
    """Queue ``task(*args)`` so that it runs only if the current transaction commits.

    With the database task backend the task row is written in the same transaction: one
    commit instead of two, and the work exists exactly when the change does. Any other
    backend (a Redis queue) would let a worker start before the commit, so it is queued
    after the commit instead.
    """
    backend = task_backends[task.backend]
    if type(backend).__module__.startswith("django_tasks_db"):
        task.enqueue(*args)
    else:
        # robust: the change is committed; the sweeps find work whose task was lost.
        transaction.on_commit(partial(task.enqueue, *args), robust=True)
