"""Settings-like data read on hot paths and changed rarely (routing rules, categories, our own
mail addresses): each process keeps a copy, re-read at most every few seconds, and dropped
at once when this process changes it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class ProcessCache:
    """Named values loaded on first use and again once ``seconds`` have passed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._values: dict[str, tuple[float, Any]] = {}

    def get(self, name: str, load: Callable[[], T]) -> T:
        """The cached value of ``name``, loading it when missing or stale."""
        with self._lock:
            entry = self._values.get(name)
            if entry is not None and time.monotonic() - entry[0] < self.seconds:
                return entry[1]  # type: ignore[no-any-return]
        value = load()
        with self._lock:
            self._values[name] = (time.monotonic(), value)
        return value

    def clear(self, **_signal_kwargs: object) -> None:
        """Forget everything (usable as a signal receiver)."""
        with self._lock:
            self._values.clear()
