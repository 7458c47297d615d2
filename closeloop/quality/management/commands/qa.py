"""``closeloop qa``: the automatic quality checks and sampling on the command line.

``qa check`` runs the checks on resolved and closed tickets that have no results yet (the
back-fill after an import; ``--all`` re-runs every one, e.g. after the phrase lists changed);
``qa draw PLAN --week YYYY-MM-DD`` draws a sampling plan's week (idempotent).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from closeloop.quality.engine import checks_backfill
from closeloop.quality.models import SamplingPlan
from closeloop.quality.sampling import sampling_draw, week_start


class Command(BaseCommand):
    help = "Quality checks and sampling: qa check [--all] | qa draw PLAN --week YYYY-MM-DD"

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        check = commands.add_parser("check", help="Check resolved tickets without results")
        check.add_argument("--all", action="store_true", help="Re-check every resolved ticket")
        draw = commands.add_parser("draw", help="Draw a sampling plan's week")
        draw.add_argument("plan", help="The plan's name")
        draw.add_argument("--week", required=True, help="Any day of the week (YYYY-MM-DD)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["command"] == "check":
            report = checks_backfill(only_missing=not options["all"])
            self.stdout.write(f"Checked {report.tickets} tickets ({report.results} results).")
            return
        plan = SamplingPlan.objects.filter(name=options["plan"]).first()
        if plan is None:
            raise CommandError(f"No sampling plan named {options['plan']!r}.")
        try:
            week = week_start(date.fromisoformat(options["week"]))
        except ValueError:
            raise CommandError("--week must be a date, YYYY-MM-DD.") from None
        reviews = sampling_draw(plan=plan, week=week)
        self.stdout.write(f"{len(reviews)} reviews queued for the week of {week}.")
