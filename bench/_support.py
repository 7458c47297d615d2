"""What the benchmarks share: fresh data directories and databases, child processes, figures.

The parent process (``closeloop bench``) never opens a database. Measurements that need Django
run in a child process (``python -m bench._child``) whose settings point at a database made
for the run and dropped after it.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE_PREFIX = "closeloop_bench"
# Environment variables that could point a child at the user's own installation.
INHERITED_SETTINGS = (
    "CLOSELOOP_DATA_DIR",
    "CLOSELOOP_DATABASE_URL",
    "CLOSELOOP_SECRET_KEY",
    "CLOSELOOP_MODE",
    "CLOSELOOP_DEBUG",
    "CLOSELOOP_TASK_BACKEND",
    "DJANGO_SETTINGS_MODULE",
)


class BenchError(RuntimeError):
    """A benchmark could not run (bad option, server did not start, child failed)."""


def percentile(values: Sequence[float], share: float) -> float:
    """Return the nearest-rank percentile ``share`` (0-100) of ``values``; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(share / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99 and max of durations given in seconds, as milliseconds."""
    return {
        "p50_ms": percentile(seconds, 50) * 1000,
        "p95_ms": percentile(seconds, 95) * 1000,
        "p99_ms": percentile(seconds, 99) * 1000,
        "max_ms": max(seconds, default=math.nan) * 1000,
    }


def timed_runs(
    call: Callable[[], object], *, seconds: float, repeat: int, warm_up: int = 5
) -> dict[str, Any]:
    """Run ``call`` for about ``seconds`` (at most ``repeat`` times) after ``warm_up`` untimed
    runs; return the run count and the latency summary."""
    for _ in range(warm_up):
        call()
    durations: list[float] = []
    deadline = time.perf_counter() + seconds
    while len(durations) < repeat:
        start = time.perf_counter()
        call()
        end = time.perf_counter()
        durations.append(end - start)
        if end >= deadline:
            break
    return {"runs": len(durations), **latency_summary(durations)}


@contextmanager
def fresh_data_dir(name: str) -> Iterator[Path]:
    """A new, empty data directory for one run, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=f"closeloop-bench-{name}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def is_postgres_url(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL server."""
    return urlsplit(url).scheme in ("postgres", "postgresql", "pgsql")


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))


@contextmanager
def fresh_database(database_url: str, name: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of ``database_url``, dropped afterwards.

    Yields the URL of the new database. Only databases named ``closeloop_bench…`` are made.
    """
    if not is_postgres_url(database_url):
        raise BenchError(f"--database-url must be a postgresql:// URL, not {database_url!r}")
    import psycopg
    from psycopg import sql

    database = f"{BENCH_DATABASE_PREFIX}_{name}_{os.getpid()}"
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(database)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    try:
        yield _with_database(database_url, database)
    finally:
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )


@contextmanager
def fresh_setup(name: str, database_url: str = "") -> Iterator[tuple[Path, str]]:
    """A fresh data directory and, for PostgreSQL, a fresh database: (data_dir, database_url).

    An empty ``database_url`` means SQLite in the new data directory (the project's default).
    """
    with fresh_data_dir(name) as data_dir:
        if not database_url:
            yield data_dir, ""
            return
        with fresh_database(database_url, name) as url:
            yield data_dir, url


def database_label(database_url: str) -> str:
    """``sqlite`` for the default, ``postgresql`` for a server URL."""
    return "postgresql" if database_url else "sqlite"


def child_env(data_dir: Path, database_url: str = "") -> dict[str, str]:
    """The environment of a process that must see only the benchmark's data directory."""
    env = {key: value for key, value in os.environ.items() if key not in INHERITED_SETTINGS}
    env.update(
        CLOSELOOP_DATA_DIR=str(data_dir),
        CLOSELOOP_MODE="demo",
        CLOSELOOP_DEBUG="false",
        CLOSELOOP_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="closeloop.settings",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])),
    )
    if database_url:
        env["CLOSELOOP_DATABASE_URL"] = database_url
    return env


def run_child(
    target: str,
    *,
    data_dir: Path,
    database_url: str = "",
    options: dict[str, Any] | None = None,
    timeout: float = 900.0,
) -> dict[str, Any]:
    """Run ``module:function(**options)`` in a child process on a freshly migrated database.

    The child's stdout and stderr go to ours; its result comes back through a JSON file.
    """
    options_file = data_dir / f"options-{os.getpid()}.json"
    result_file = data_dir / f"result-{os.getpid()}.json"
    options_file.write_text(json.dumps(options or {}))
    result_file.unlink(missing_ok=True)
    command = [sys.executable, "-m", "bench._child", target, str(options_file), str(result_file)]
    try:
        completed = subprocess.run(  # noqa: S603 - our own interpreter and module
            command,
            cwd=REPO_ROOT,
            env=child_env(data_dir, database_url),
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"{target} did not finish within {timeout:.0f} s") from None
    if completed.returncode != 0 or not result_file.exists():
        raise BenchError(f"{target} failed (exit status {completed.returncode})")
    result: dict[str, Any] = json.loads(result_file.read_text())
    return result


def postgres_version(database_url: str) -> str:
    """The server's version string, e.g. ``15.20``."""
    import psycopg

    with psycopg.connect(database_url) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return str(row[0]).split()[0] if row else "unknown"


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        # Other work on the machine while the benchmark ran skews every figure.
        "load_average_1m_at_start": os.getloadavg()[0],
    }


def timed_slow(call: Callable[[], object], repeats: int) -> dict[str, float]:
    """One untimed warm-up (connections, caches, the planner's statistics), then ``repeats``
    timed runs of a call that takes seconds; return median, max and min in seconds."""
    call()
    durations = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        durations.append(time.perf_counter() - start)
    durations.sort()
    return {
        "median_s": round(durations[len(durations) // 2], 3),
        "max_s": round(durations[-1], 3),
        "min_s": round(durations[0], 3),
    }


def run_on_generated_history(
    name: str, measure: str, *, tickets: int, repeats: int, database_url: str
) -> dict[str, Any]:
    """Run ``measure`` (``module:function``) in a child over a fresh database of ``tickets``
    generated tickets (default 100,000 on SQLite, 1,000,000 on PostgreSQL); its figures."""
    if database_url and not is_postgres_url(database_url):
        raise BenchError("--database-url must be a postgresql:// URL")
    tickets = tickets or (1_000_000 if database_url else 100_000)
    with fresh_setup(name, database_url) as (data_dir, bench_url):
        figures: dict[str, Any] = run_child(
            measure,
            data_dir=data_dir,
            database_url=bench_url,
            options={"tickets": tickets, "repeats": repeats},
            timeout=7200,
        )
    if database_url:
        figures["server_version"] = postgres_version(database_url)
    return figures
