"""``closeloop analytics rollup``: recompute the daily metric rollups of any past days.

``analytics rollup --day YYYY-MM-DD`` recomputes one day; ``--from … --to …`` a range
(inclusive); with neither, what the worker's sweep would do (invalidated days and the last
week). Idempotent: a day's rows are replaced in one transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from closeloop.analytics.rollups import rollups_compute, rollups_sweep
from closeloop.core.errors import CloseloopError


def _day(raw: str, option: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise CommandError(f"{option} must be a date, YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Metric rollups: analytics rollup [--day YYYY-MM-DD | --from YYYY-MM-DD --to YYYY-MM-DD]"

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        rollup = commands.add_parser("rollup", help="Recompute the daily rollups")
        rollup.add_argument("--day", help="One day (YYYY-MM-DD)")
        rollup.add_argument("--from", dest="first", help="First day (YYYY-MM-DD)")
        rollup.add_argument("--to", dest="last", help="Last day, inclusive (YYYY-MM-DD)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["day"]:
            first = last = _day(options["day"], "--day")
        elif options["first"] or options["last"]:
            if not (options["first"] and options["last"]):
                raise CommandError("Give both --from and --to.")
            first, last = _day(options["first"], "--from"), _day(options["last"], "--to")
        else:
            counts = rollups_sweep(force=True)
            self.stdout.write(f"Rolled up {counts['days']} days ({counts['rows']} rows).")
            return
        try:
            counts = rollups_compute(first, last)
        except CloseloopError as error:
            raise CommandError(str(error.message)) from None
        self.stdout.write(f"Rolled up {counts['days']} days ({counts['rows']} rows).")
