"""The worker loop behind ``closeloop worker``: enqueue the sweeps, run what is queued."""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from types import FrameType

from django.db import close_old_connections
from django.db.utils import OperationalError
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from closeloop.core import schedule

logger = logging.getLogger(__name__)


class _StopFlag:
    def __init__(self) -> None:
        self.is_set = False

    def set(self, signum: int, frame: FrameType | None) -> None:
        logger.info("Worker received %s; stopping after the current task.", signum)
        self.is_set = True


def _drain_queue(worker_id: str, *, close_connections: bool) -> int:
    """Claim and run every task that is ready now, then return how many ran.

    The claim loop is django-tasks-db's, less its reconnects when ``close_connections`` is off:
    ``--once`` runs inside a caller's connection (cron, tests) and must not drop it.
    """
    runner = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    ran = 0
    while True:
        if close_connections:
            close_old_connections()
        ready = DBTaskResult.objects.ready().filter(backend_name="default")
        try:
            with exclusive_transaction(ready.db):
                task_result = ready.get_locked()
                if task_result is not None:
                    task_result.claim(worker_id)
        except OperationalError as error:
            if is_locked_database_exception(error):
                time.sleep(0.05)
                continue
            raise
        if task_result is None:
            return ran
        runner.run_task(task_result)
        ran += 1


def run_worker(*, once: bool, sweep_seconds: float, poll_seconds: float = 1.0) -> None:
    """Sweep and run tasks; with ``once``, do everything that is due now and return."""
    worker_id = f"{socket.gethostname()}-{os.getpid()}"[:64]
    if once:
        schedule.enqueue_sweeps()
        _drain_queue(worker_id, close_connections=False)
        return

    stop = _StopFlag()
    signal.signal(signal.SIGINT, stop.set)
    signal.signal(signal.SIGTERM, stop.set)
    last_sweep = 0.0
    logger.info("Worker %s started; sweeping every %ss.", worker_id, sweep_seconds)
    while not stop.is_set:
        close_old_connections()
        if time.monotonic() - last_sweep >= sweep_seconds:
            schedule.enqueue_sweeps()
            last_sweep = time.monotonic()
        _drain_queue(worker_id, close_connections=True)
        time.sleep(poll_seconds)
