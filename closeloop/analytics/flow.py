"""What the analytics records with a status flow share (corrective actions and problems):
the history they append to, the guarded status move, and the change of their fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models

from closeloop.core.errors import ConcurrentChange
from closeloop.people.models import Agent


def history_add(row: Any, *, actor: Agent | None, now: datetime, **entry: Any) -> None:
    """Append one entry (when, by whom, what) to ``row.history``; the caller saves."""
    row.history = [
        *row.history,
        {"at": now.isoformat(), "by": actor.pk if actor else None, **entry},
    ]


def status_move(row: models.Model, fields: dict[str, Any], *, conflict: str) -> None:
    """Write ``fields`` (the new status among them) only if ``row`` still has the status it
    was read with; otherwise ``ConcurrentChange`` with the message ``conflict``. Reloads
    ``row``."""
    status = row.status  # type: ignore[attr-defined]
    moved = type(row)._default_manager.filter(pk=row.pk, status=status).update(**fields)
    if not moved:
        raise ConcurrentChange(conflict, details={"status": status})
    row.refresh_from_db()


def fields_change(row: models.Model, changes: dict[str, Any], *, now: datetime) -> None:
    """Set ``changes`` on a locked ``row`` (text stripped), stamp ``updated_at`` and save."""
    for field, value in changes.items():
        setattr(row, field, value.strip() if isinstance(value, str) else value)
    row.updated_at = now  # type: ignore[attr-defined]
    row.save()
