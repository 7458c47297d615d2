"""``closeloop report monthly --month YYYY-MM``: write the monthly review.

By default it writes ``monthly-review-YYYY-MM.html``, ``.pdf`` and ``.csv`` into the current
directory (``--output DIR`` for another); ``--format html|pdf|csv`` writes only that one, to
``--output FILE`` if given (``-`` for standard output, HTML and CSV only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from closeloop.analytics.monthly import monthly_file, monthly_review
from closeloop.core.errors import CloseloopError

FORMATS = ("html", "pdf", "csv")


class Command(BaseCommand):
    help = "Reports: report monthly --month YYYY-MM [--format html|pdf|csv] [--output PATH]"

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="report", required=True)
        monthly = commands.add_parser("monthly", help="The monthly review of one month")
        monthly.add_argument("--month", required=True, help="The month, YYYY-MM")
        monthly.add_argument(
            "--format", choices=[*FORMATS, "all"], default="all", help="Default: all three"
        )
        monthly.add_argument(
            "--output",
            default="",
            help="A file (one format; - for standard output) or a directory (all formats)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            review = monthly_review(options["month"])
        except CloseloopError as exc:
            raise CommandError(str(exc.message)) from None
        formats = FORMATS if options["format"] == "all" else (options["format"],)
        output = options["output"]
        if len(formats) == 1 and output == "-":
            if formats[0] == "pdf":
                raise CommandError("The PDF cannot go to standard output; give --output FILE.")
            self.stdout.write(monthly_file(review, formats[0]).decode("utf-8-sig"), ending="")
            return
        if len(formats) == 1 and output and not Path(output).is_dir():
            targets = {formats[0]: Path(output)}
        else:
            directory = Path(output or ".")
            if not directory.is_dir():
                raise CommandError(f"{directory} is not a directory.")
            targets = {f: directory / f"monthly-review-{review.month}.{f}" for f in formats}
        for fmt, path in targets.items():
            try:
                path.write_bytes(monthly_file(review, fmt))
            except OSError as exc:
                raise CommandError(f"Cannot write {path}: {exc.strerror}") from None
            self.stdout.write(str(path))
