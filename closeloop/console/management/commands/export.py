"""``closeloop export [--since ISO] [FILE]``: tickets as JSON Lines, the import format."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from closeloop.core.clock import parse_instant
from closeloop.tickets.exporter import export_lines


def _since(value: str) -> datetime:
    try:
        return parse_instant(value)
    except ValueError as error:
        raise CommandError(f"--since: {error}") from None


class Command(BaseCommand):
    help = (
        "Write tickets (oldest first) as JSON Lines that closeloop import reads back: the "
        "customer's messages, agent replies and notes, and every lifecycle step."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default="-", help="output file (default: stdout)")
        parser.add_argument("--since", help="only tickets created at or after this ISO time")

    def handle(self, *args: Any, file: str, since: str | None, **options: Any) -> None:
        lines = export_lines(since=_since(since) if since else None)
        if file == "-":
            self._write(lines, self.stdout)
            return
        with Path(file).open("w", encoding="utf-8") as output:
            count = self._write(lines, output)
        self.stderr.write(f"exported {count} tickets to {file}")

    @staticmethod
    def _write(lines: Iterator[str], output: TextIO | OutputWrapper) -> int:
        count = 0
        for line in lines:
            output.write(line + "\n")
            count += 1
        return count
