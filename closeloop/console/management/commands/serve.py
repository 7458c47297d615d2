"""``closeloop serve``: serve an existing data directory with uvicorn (ASGI)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


class Command(BaseCommand):
    help = "Serve Closeloop over HTTP (uvicorn, ASGI) from an existing data directory."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
        parser.add_argument("--log-level", default="warning")

    def handle(
        self, *args: Any, host: str, port: int, workers: int, log_level: str, **options: Any
    ) -> None:
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError(
                "The database is not up to date: run `closeloop migrate` (or `closeloop demo`)."
            )
        import uvicorn

        self.stdout.write(f"Closeloop serving on http://{host}:{port}/ (Ctrl+C stops)")
        uvicorn.run(
            "closeloop.asgi:application",
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            lifespan="off",
        )
