"""The one clock every service asks, so tests and imports can move time.

``now()`` is the current instant, unless a caller has fixed it with ``frozen_at`` (tests that
move time, and the importer replaying history at its original timestamps).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.utils import timezone

_state = threading.local()


def now() -> datetime:
    """Return the current aware instant (the frozen one when a caller has fixed it)."""
    frozen: datetime | None = getattr(_state, "frozen", None)
    return frozen if frozen is not None else timezone.now()


@contextmanager
def frozen_at(instant: datetime) -> Iterator[None]:
    """Fix ``now()`` at ``instant`` inside the block (this thread only)."""
    if timezone.is_naive(instant):
        raise ValueError("frozen_at needs an aware datetime")
    previous = getattr(_state, "frozen", None)
    _state.frozen = instant
    try:
        yield
    finally:
        _state.frozen = previous


def parse_instant(raw: str) -> datetime:
    """Read an ISO 8601 instant that names its UTC offset (``2026-01-05T10:00+08:00``).

    Raises ValueError saying what is wrong: not ISO 8601, or no offset (a wall-clock time
    without a zone is ambiguous, so it is refused rather than guessed).
    """
    try:
        instant = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not an ISO 8601 time") from None
    if instant.tzinfo is None:
        raise ValueError(f"{raw!r} needs a UTC offset, e.g. 2026-01-05T10:00+08:00")
    return instant
