"""``closeloop email``: feed a saved message in (``email ingest FILE.eml``) or poll the
mailboxes now (``email poll``), e.g. to test a mailbox's settings before the worker does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from closeloop.channels.email.imap import mailboxes_poll
from closeloop.channels.email.intake import email_store
from closeloop.channels.models import InboundStatus
from closeloop.channels.pipeline import inbound_process
from closeloop.core.errors import CloseloopError


class Command(BaseCommand):
    help = "Email channel: email ingest FILE.eml [--mailbox ADDR] | email poll [--mailbox ADDR]"

    def add_arguments(self, parser: Any) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        ingest = actions.add_parser("ingest", help="store and process one raw message file")
        ingest.add_argument("file", help="a .eml file (RFC 5322 message)")
        ingest.add_argument("--mailbox", default="", help="the support address it was sent to")
        poll = actions.add_parser("poll", help="fetch new mail from the IMAP mailboxes now")
        poll.add_argument("--mailbox", default="", help="only this mailbox (even if not polled)")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            if action == "ingest":
                self._ingest(Path(options["file"]), mailbox=options["mailbox"])
            else:
                self._poll(options["mailbox"])
        except CloseloopError as error:
            raise CommandError(f"{error.code}: {error}") from None
        except DatabaseError:
            raise CommandError(
                "The database is not set up: run `closeloop migrate` first."
            ) from None

    def _ingest(self, path: Path, *, mailbox: str) -> None:
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}") from None
        inbound, created = email_store(raw, mailbox=mailbox, source="cli", enqueue=False)
        if inbound.status == InboundStatus.PENDING:
            inbound = inbound_process(inbound.pk)
        if inbound.status == InboundStatus.PROCESSED and inbound.ticket is not None:
            how = "stored" if created else "already stored"
            self.stdout.write(
                f"Ticket #{inbound.ticket.number} ({how}, message {inbound.external_id})"
            )
        elif inbound.status == InboundStatus.IGNORED:
            self.stdout.write(f"Ignored: {inbound.error} (no ticket)")
        else:
            raise CommandError(f"The message could not be processed: {inbound.error}")

    def _poll(self, mailbox: str) -> None:
        results = mailboxes_poll(address=mailbox)
        if not results:
            raise CommandError(
                f"There is no mailbox {mailbox!r}." if mailbox else "No mailbox has polling on."
            )
        failed = False
        for address, result in results.items():
            if result.error:
                failed = True
                self.stderr.write(f"{address}: {result.error}")
            else:
                self.stdout.write(f"{address}: {result.fetched} fetched, {result.stored} new")
        if failed:
            raise CommandError("Polling failed for some mailboxes (see above).")
