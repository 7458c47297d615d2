"""SLA due-time maths (add_minutes, add_working_days): calls per second, no database.

Wraps ``bench/due_time.py``, which can also run on its own.
"""

from __future__ import annotations

from typing import Any

from bench.due_time import run as due_time_run

OPTIONS_HELP = {"seconds": "measuring time, split over the three measurements"}


def run(*, seconds: float = 3.0) -> dict[str, Any]:
    """Measure due-time calls per second for about ``seconds``."""
    return dict(due_time_run(seconds))
