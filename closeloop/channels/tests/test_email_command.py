"""``closeloop email ingest`` and ``closeloop email poll``."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from closeloop.channels.models import InboundMessage
from closeloop.channels.tests.email_samples import text_mail
from closeloop.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("email", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_ingest_prints_the_ticket_number(tmp_path):
    path = tmp_path / "order.eml"
    path.write_bytes(text_mail("Where is my order?", message_id="<cli-1@example.com>"))

    output = _run("ingest", str(path), "--mailbox", "support@shop.example")

    ticket = Ticket.objects.get()
    assert f"Ticket #{ticket.number}" in output
    assert InboundMessage.objects.get().meta["mailbox"] == "support@shop.example"
    # Ingesting the same file again finds the same ticket and stores nothing new.
    again = _run("ingest", str(path))
    assert f"Ticket #{ticket.number} (already stored" in again
    assert InboundMessage.objects.count() == 1


def test_ingest_of_a_missing_file_is_a_clean_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        _run("ingest", str(tmp_path / "missing.eml"))
    assert not InboundMessage.objects.exists()


def test_ingest_of_garbage_says_why(tmp_path):
    path = tmp_path / "garbage.eml"
    path.write_bytes(b"\x00\x01 not mail")

    with pytest.raises(CommandError, match="could not be processed"):
        _run("ingest", str(path))


def test_ingest_of_an_auto_reply_opens_nothing(tmp_path):
    path = tmp_path / "ooo.eml"
    path.write_bytes(text_mail(extra={"Auto-Submitted": "auto-replied"}))

    assert "Ignored: auto_reply" in _run("ingest", str(path))
    assert not Ticket.objects.exists()


def test_poll_without_mailboxes_is_an_error():
    with pytest.raises(CommandError, match="No mailbox has polling on"):
        _run("poll")


def test_closeloop_email_exits_non_zero_without_traceback(tmp_path):
    import subprocess
    import sys

    completed = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-m", "closeloop", "email", "ingest", str(tmp_path / "none.eml")],
        capture_output=True,
        text=True,
        check=False,
        env={**__import__("os").environ, "CLOSELOOP_DATA_DIR": str(tmp_path)},
        timeout=60,
    )

    assert completed.returncode != 0
    assert "Cannot read" in completed.stderr
    assert "Traceback" not in completed.stderr
