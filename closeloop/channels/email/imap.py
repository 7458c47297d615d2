"""Fetching mail from support mailboxes over IMAP, by UID.

Each poll asks for UIDs above the mailbox's ``last_uid`` and stores every message raw, one
by one, saving ``last_uid`` after each: a crash mid-poll re-reads at most one message, which
the Message-ID key deduplicates. When the server's UIDVALIDITY changes (the folder was
rebuilt), every UID is meaningless: the poll starts again from 0 and deduplication keeps the
messages already stored from being stored twice. Messages are read with ``BODY.PEEK[]`` so
the mailbox's read flags stay the operator's.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django_tasks import task
from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted

from closeloop.channels.email.intake import email_store, max_email_bytes
from closeloop.channels.models import Mailbox
from closeloop.core import clock

logger = logging.getLogger(__name__)

BATCH = 200  # messages per mailbox per poll; the next sweep continues
TIMEOUT_SECONDS = 30
_FETCH_UID = re.compile(rb"UID\s+(\d+)", re.I)
_SIZE = re.compile(rb"RFC822\.SIZE\s+(\d+)", re.I)


@dataclass
class PollResult:
    """What one poll of one mailbox did."""

    fetched: int = 0
    stored: int = 0
    error: str = ""


class ImapError(Exception):
    """The IMAP server answered something other than OK."""


def _client(mailbox: Mailbox) -> BaseMailBox:
    if mailbox.imap_ssl:
        return MailBox(mailbox.imap_host, mailbox.imap_port, timeout=TIMEOUT_SECONDS)
    if mailbox.imap_port == 143:
        return MailBoxStartTls(mailbox.imap_host, mailbox.imap_port, timeout=TIMEOUT_SECONDS)
    return MailBoxUnencrypted(mailbox.imap_host, mailbox.imap_port, timeout=TIMEOUT_SECONDS)


def _uid_validity(client: BaseMailBox, folder: str) -> int | None:
    _kind, data = client.client.response("UIDVALIDITY")
    values = [item for item in data if item]
    if values:
        return int(values[-1])
    status = client.folder.status(folder, ["UIDVALIDITY"])
    return int(status["UIDVALIDITY"]) if "UIDVALIDITY" in status else None


def _check(kind: str, data: list, command: str) -> None:
    if kind != "OK":
        raise ImapError(f"{command} answered {kind}: {data!r}"[:500])


def _uids_after(client: BaseMailBox, last_uid: int) -> list[int]:
    kind, data = client.client.uid("SEARCH", f"UID {last_uid + 1}:*")
    _check(kind, data, "UID SEARCH")
    uids = {int(token) for line in data if line for token in bytes(line).split()}
    # "n:*" always includes the highest UID, even one below n.
    return sorted(uid for uid in uids if uid > last_uid)


def _size(client: BaseMailBox, uid: int) -> int:
    kind, data = client.client.uid("FETCH", str(uid), "(RFC822.SIZE)")
    _check(kind, data, "UID FETCH RFC822.SIZE")
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        match = _SIZE.search(line or b"")
        if match:
            return int(match.group(1))
    return 0


def _fetch(client: BaseMailBox, uid: int, part: str) -> bytes | None:
    kind, data = client.client.uid("FETCH", str(uid), f"({part})")
    _check(kind, data, f"UID FETCH {part}")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None  # the message was expunged between SEARCH and FETCH


def mailbox_poll(mailbox: Mailbox) -> PollResult:
    """Fetch and store the mailbox's new messages; errors are recorded on the mailbox."""
    result = PollResult()
    try:
        with _client(mailbox).login(
            mailbox.imap_username, mailbox.imap_password, initial_folder=mailbox.imap_folder
        ) as client:
            validity = _uid_validity(client, mailbox.imap_folder)
            if validity is not None and validity != mailbox.uid_validity:
                if mailbox.uid_validity is not None:
                    logger.warning("UIDVALIDITY of %s changed: re-reading", mailbox.address)
                mailbox.uid_validity = validity
                mailbox.last_uid = 0
                mailbox.save(update_fields=["uid_validity", "last_uid"])
            for uid in _uids_after(client, mailbox.last_uid)[:BATCH]:
                result.fetched += 1
                if _store_one(client, mailbox, uid):
                    result.stored += 1
                mailbox.last_uid = uid
                mailbox.save(update_fields=["last_uid"])
    except Exception as error:  # noqa: BLE001 - any failure is the mailbox's to show
        result.error = f"{type(error).__name__}: {error}"[:2000]
        logger.warning("Polling %s failed: %s", mailbox.address, result.error)
    mailbox.last_error = result.error
    mailbox.last_polled_at = clock.now()
    mailbox.save(update_fields=["last_error", "last_polled_at"])
    return result


def _store_one(client: BaseMailBox, mailbox: Mailbox, uid: int) -> bool:
    size = _size(client, uid)
    extra: dict[str, object] = {"imap_uid": uid, "uid_validity": mailbox.uid_validity}
    if size > max_email_bytes():
        # Too large to keep: store its headers so the customer still gets a ticket that
        # says what happened, instead of the mail vanishing.
        raw = _fetch(client, uid, "BODY.PEEK[HEADER]")
        extra.update(truncated=True, size=size)
    else:
        raw = _fetch(client, uid, "BODY.PEEK[]")
    if not raw:
        return False
    _inbound, created = email_store(
        raw, mailbox=mailbox.address, source="imap", extra=extra, enforce_limit=False
    )
    return created


def mailboxes_poll(*, address: str = "") -> dict[str, PollResult]:
    """Poll every mailbox with polling on (or the one at ``address``)."""
    mailboxes = Mailbox.objects.filter(poll_enabled=True).exclude(imap_host="")
    if address:
        mailboxes = Mailbox.objects.filter(address__iexact=address)
    return {mailbox.address: mailbox_poll(mailbox) for mailbox in mailboxes.order_by("id")}


@task(queue_name="sweeps")
def email_poll_sweep() -> int:
    """Poll the mailboxes (run on every worker sweep); return how many messages were stored."""
    return sum(result.stored for result in mailboxes_poll().values())
