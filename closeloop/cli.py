"""The ``closeloop`` command: Django's management commands with Closeloop's settings."""

from __future__ import annotations

import os
import sys

CLOSELOOP_COMMANDS = {
    "demo": "load the demo organisation and serve it (--no-serve to only load)",
    "serve": "serve an existing data directory (--host, --port)",
    "worker": "run background work: inbound messages, replies, SLA sweeps, mail polling (--once)",
    "migrate": "create or update the database tables",
    "createadmin": "create an administrator login",
    "token": "create, list or revoke API tokens (token create --user NAME)",
    "import": "import historical tickets from a JSON Lines file",
    "export": "export tickets as JSON Lines (the import format)",
    "sla": "business calendars and due times (sla calendars, sla due …)",
    "email": "email channel: ingest a .eml file, poll the IMAP mailboxes now",
    "triage": "ticket classifier: train, list, activate, rollback, eval on CSV files",
    "knowledge": "help articles: rebuild the search index, search from the shell",
    "bot": "FAQ bot: train its question matcher, ask it a question",
    "qa": "quality checks: run the automatic checks (--all to redo), draw a week's QA sample",
    "report": "the monthly review: report monthly --month YYYY-MM [--format html|pdf|csv]",
    "analytics": "metric rollups: recompute a day or a range (analytics rollup --day …)",
    "bench": "run a benchmark (bench --list)",
}


def _print_help() -> None:
    print("usage: closeloop COMMAND [options]\n\nCommands:")
    for name, summary in CLOSELOOP_COMMANDS.items():
        print(f"  {name:<12} {summary}")
    print(
        "\nGlobal options: --data-dir DIR (or CLOSELOOP_DATA_DIR).\n"
        "Every Django management command works too (closeloop help --all lists them).\n"
        "closeloop COMMAND --help shows a command's options."
    )


def _take_data_dir(argv: list[str]) -> list[str]:
    """Apply --data-dir before settings load, since the database lives there."""
    remaining: list[str] = []
    iterator = iter(argv)
    for argument in iterator:
        if argument == "--data-dir":
            value = next(iterator, None)
            if value is None:
                print("closeloop: --data-dir needs a directory", file=sys.stderr)
                raise SystemExit(2)
            os.environ["CLOSELOOP_DATA_DIR"] = value
        elif argument.startswith("--data-dir="):
            os.environ["CLOSELOOP_DATA_DIR"] = argument.split("=", 1)[1]
        else:
            remaining.append(argument)
    return remaining


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``closeloop`` console script."""
    args = _take_data_dir(list(sys.argv[1:] if argv is None else argv))
    if not args or args[0] in ("-h", "--help"):
        _print_help()
        return
    if args[0] == "help" and args[1:] == ["--all"]:
        args = ["help"]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "closeloop.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["closeloop", *args])
    except ImproperlyConfigured as error:
        print(f"closeloop: configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
