"""Benchmark of SLA due-time maths: add_minutes and add_working_days calls per second.

Run with ``.venv/bin/python bench/due_time.py [seconds]``; ``run()`` is the entry point for the
CLI. Inputs are seeded so figures are comparable between runs: start instants spread over
2024-2026 and targets from 10 minutes to 72 hours.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from closeloop.sla.calendar import BusinessCalendar, calendar_24x7, calendar_cn_workdays

SEED = 20251001
SAMPLE_SIZE = 10_000
FIRST_INSTANT = datetime(2024, 1, 1, tzinfo=UTC)
LAST_INSTANT = datetime(2027, 1, 1, tzinfo=UTC)
SHORTEST_TARGET_MINUTES = 10.0
LONGEST_TARGET_MINUTES = 72 * 60.0


def _sample_inputs() -> tuple[list[datetime], list[float], list[int]]:
    """Return seeded start instants, minute targets and working-day targets."""
    # Not security-sensitive: a seeded generator makes every run measure the same inputs.
    generator = random.Random(SEED)  # noqa: S311
    first, last = FIRST_INSTANT.timestamp(), LAST_INSTANT.timestamp()
    starts = [
        datetime.fromtimestamp(generator.uniform(first, last), UTC) for _ in range(SAMPLE_SIZE)
    ]
    minutes = [
        generator.uniform(SHORTEST_TARGET_MINUTES, LONGEST_TARGET_MINUTES)
        for _ in range(SAMPLE_SIZE)
    ]
    working_days = [generator.randint(1, 10) for _ in range(SAMPLE_SIZE)]
    return starts, minutes, working_days


def _calls_per_second(call: Callable[[int], object], seconds: float) -> float:
    """Return how many times `call(index)` runs per second, measured over about `seconds`."""
    calls = 0
    began = time.perf_counter()
    while True:
        # Check the clock once per sample pass so timing overhead stays out of the figure.
        for index in range(SAMPLE_SIZE):
            call(index)
        calls += SAMPLE_SIZE
        elapsed = time.perf_counter() - began
        if elapsed >= seconds:
            return calls / elapsed


def _warm(calendar: BusinessCalendar) -> float:
    """Build the calendar's tables for the benchmark years; return seconds spent."""
    began = time.perf_counter()
    calendar.minutes_between(FIRST_INSTANT, LAST_INSTANT)
    calendar.add_working_days(LAST_INSTANT, 30)
    return time.perf_counter() - began


def run(seconds: float = 3.0) -> dict[str, float]:
    """Measure due-time calls per second, splitting `seconds` over the three measurements."""
    starts, minutes, working_days = _sample_inputs()
    always_open = calendar_24x7()
    china = calendar_cn_workdays()
    build_seconds = _warm(china)
    _warm(always_open)
    share = seconds / 3
    return {
        "add_minutes_24x7_per_second": _calls_per_second(
            lambda index: always_open.add_minutes(starts[index], minutes[index]), share
        ),
        "add_minutes_cn_workdays_per_second": _calls_per_second(
            lambda index: china.add_minutes(starts[index], minutes[index]), share
        ),
        "add_working_days_cn_workdays_per_second": _calls_per_second(
            lambda index: china.add_working_days(starts[index], working_days[index]), share
        ),
        "cn_workdays_table_build_seconds": build_seconds,
    }


def main() -> None:
    """Print the benchmark as a small table."""
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    results = run(seconds)
    print(f"{'measurement':<42}{'value':>14}")
    for name, value in results.items():
        shown = f"{value:,.0f}" if name.endswith("_per_second") else f"{value:.4f}"
        print(f"{name:<42}{shown:>14}")


if __name__ == "__main__":
    main()
