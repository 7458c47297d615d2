"""``closeloop worker``: scheduled work (SLA warnings and breaches, auto-close) and queued tasks."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from closeloop.core.worker import run_worker


class Command(BaseCommand):
    help = (
        "Run scheduled work through Django's Tasks API. With --once, run everything that is "
        "due now and exit (for cron and tests)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="run what is due now, then exit")
        parser.add_argument(
            "--sweep-seconds",
            type=float,
            default=settings.CLOSELOOP["WORKER_SWEEP_SECONDS"],
            help="seconds between two sweeps (default from CLOSELOOP_WORKER_SWEEP_SECONDS)",
        )

    def handle(self, *args: Any, once: bool, sweep_seconds: float, **options: Any) -> None:
        run_worker(once=once, sweep_seconds=sweep_seconds)
