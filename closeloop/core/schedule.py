"""Scheduled work: tasks the worker enqueues on every sweep (SLA warnings, auto-close, …).

Apps register their sweep tasks in ``AppConfig.ready``; core never imports them, so the
one-way import rule holds. Every registered task must be idempotent: two workers may enqueue
the same sweep, and the guarded updates inside make the second run change nothing.
"""

from __future__ import annotations

from typing import Any

_registry: dict[str, Any] = {}


def register(name: str, task: Any) -> None:
    """Register a django-tasks ``Task`` (taking no arguments) to run on every sweep."""
    _registry[name] = task


def enqueue_sweeps() -> list[str]:
    """Enqueue every registered sweep task once; return their names."""
    for task in _registry.values():
        task.enqueue()
    return list(_registry)
