"""``closeloop import FILE.jsonl``: import historical tickets (format: ``docs/import.md``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from closeloop.sla.services import sla_sweep
from closeloop.tickets.importer import import_lines


class Command(BaseCommand):
    help = (
        "Import tickets from a JSON Lines file (one ticket per line, '-' for standard input). "
        "Each line is replayed through the ticket services at its original times, in its own "
        "transaction; a line already imported (same external_ref) is left as it is."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="JSON Lines file, or - for standard input")

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        if file == "-":
            report = import_lines(sys.stdin, sweep=sla_sweep)
        else:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"No such file: {file}")
            with path.open(encoding="utf-8") as lines:
                report = import_lines(lines, sweep=sla_sweep)
        for error in report.errors:
            self.stderr.write(str(error))
        self.stdout.write(report.summary())
        if report.errors:
            raise CommandError(f"{report.skipped} line(s) skipped; nothing of them was written.")
