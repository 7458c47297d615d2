"""IMAP polling against a small IMAP4rev1 server on loopback, standing in for the mail
provider: new mail is fetched once, a second poll fetches nothing, a UIDVALIDITY change
re-reads without storing anything twice, and failures are recorded on the mailbox."""

from __future__ import annotations

import re
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.core.management import call_command

from closeloop.channels.email.imap import mailbox_poll
from closeloop.channels.models import InboundMessage, Mailbox
from closeloop.channels.tests.email_samples import text_mail

pytestmark = pytest.mark.django_db


@dataclass
class ImapState:
    """The provider's mailbox: messages by UID, its UIDVALIDITY, what was fetched."""

    messages: dict[int, bytes] = field(default_factory=dict)
    uid_validity: int = 1000
    username: str = "support"
    password: str = "secret"
    fetched: list[int] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)


def _uid_set(spec: str, highest: int) -> set[int]:
    uids: set[int] = set()
    for piece in spec.split(","):
        if ":" in piece:
            low, high = (highest if x == "*" else int(x) for x in piece.split(":"))
            uids.update(range(min(low, high), max(low, high) + 1))
        else:
            uids.add(highest if piece == "*" else int(piece))
    return uids


class ImapHandler(socketserver.StreamRequestHandler):
    state: ImapState

    def send(self, data: bytes | str) -> None:
        self.wfile.write(data.encode() if isinstance(data, str) else data)

    def handle(self) -> None:
        self.send("* OK [CAPABILITY IMAP4rev1] fake provider ready\r\n")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            tag, _, rest = line.decode().strip().partition(" ")
            command, _, arguments = rest.partition(" ")
            command = command.upper()
            self.state.commands.append(f"{command} {arguments}".strip())
            if not self.respond(tag, command, arguments):
                return

    def respond(self, tag: str, command: str, arguments: str) -> bool:
        state = self.state
        if command == "CAPABILITY":
            self.send(f"* CAPABILITY IMAP4rev1\r\n{tag} OK CAPABILITY done\r\n")
        elif command == "LOGIN":
            user, password = (part.strip('"') for part in arguments.split(" ", 1))
            if (user, password) == (state.username, state.password):
                self.send(f"{tag} OK LOGIN done\r\n")
            else:
                self.send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials\r\n")
        elif command in ("SELECT", "EXAMINE"):
            highest = max(state.messages, default=0)
            self.send(
                f"* {len(state.messages)} EXISTS\r\n* 0 RECENT\r\n"
                f"* OK [UIDVALIDITY {state.uid_validity}] UIDs valid\r\n"
                f"* OK [UIDNEXT {highest + 1}] next\r\n{tag} OK [READ-WRITE] SELECT done\r\n"
            )
        elif command == "UID":
            self.uid_command(tag, arguments)
        elif command == "NOOP":
            self.send(f"{tag} OK NOOP\r\n")
        elif command == "LOGOUT":
            self.send(f"* BYE logging out\r\n{tag} OK LOGOUT done\r\n")
            return False
        else:
            self.send(f"{tag} BAD unknown command\r\n")
        return True

    def uid_command(self, tag: str, arguments: str) -> None:
        state = self.state
        sub, _, rest = arguments.partition(" ")
        ordered = sorted(state.messages)
        highest = max(ordered, default=0)
        if sub.upper() == "SEARCH":
            match = re.fullmatch(r"UID (\S+)", rest.strip(), re.I)
            wanted = _uid_set(match.group(1), highest) if match else set(ordered)
            found = " ".join(str(uid) for uid in ordered if uid in wanted)
            self.send(
                f"* SEARCH {found}\r\n{tag} OK SEARCH done\r\n".replace("SEARCH \r", "SEARCH\r")
            )
            return
        if sub.upper() != "FETCH":
            self.send(f"{tag} BAD unsupported UID command\r\n")
            return
        spec, _, items = rest.partition(" ")
        for uid in sorted(_uid_set(spec, highest) & set(ordered)):
            number = ordered.index(uid) + 1
            data = state.messages[uid]
            if "RFC822.SIZE" in items.upper():
                self.send(f"* {number} FETCH (UID {uid} RFC822.SIZE {len(data)})\r\n")
            elif "BODY.PEEK[HEADER]" in items.upper():
                header = re.split(rb"\r?\n\r?\n", data, maxsplit=1)[0] + b"\r\n\r\n"
                self.send(
                    f"* {number} FETCH (UID {uid} BODY[HEADER] {{{len(header)}}}\r\n".encode()
                    + header
                    + b")\r\n"
                )
            else:
                state.fetched.append(uid)
                self.send(
                    f"* {number} FETCH (UID {uid} BODY[] {{{len(data)}}}\r\n".encode()
                    + data
                    + b")\r\n"
                )
        self.send(f"{tag} OK FETCH done\r\n")


@pytest.fixture
def imap_server() -> Iterator[tuple[ImapState, int]]:
    state = ImapState()
    handler = type("BoundImapHandler", (ImapHandler,), {"state": state})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _mailbox(port: int, **fields) -> Mailbox:  # noqa: ANN003
    values = {
        "address": "support@shop.example",
        "imap_host": "127.0.0.1",
        "imap_port": port,
        "imap_ssl": False,
        "imap_username": "support",
        "imap_password": "secret",
        "poll_enabled": True,
        **fields,
    }
    return Mailbox.objects.create(**values)


def test_new_mail_is_fetched_once(imap_server):
    state, port = imap_server
    state.messages = {1: text_mail(message_id="<one@x>"), 2: text_mail(message_id="<two@x>")}
    mailbox = _mailbox(port)

    first = mailbox_poll(mailbox)

    assert (first.fetched, first.stored, first.error) == (2, 2, "")
    mailbox.refresh_from_db()
    assert (mailbox.last_uid, mailbox.uid_validity, mailbox.last_error) == (2, 1000, "")
    assert mailbox.last_polled_at is not None
    rows = InboundMessage.objects.order_by("id")
    assert [row.external_id for row in rows] == ["one@x", "two@x"]
    assert bytes(rows[0].raw) == state.messages[1]
    assert rows[0].meta == {
        "source": "imap",
        "mailbox": "support@shop.example",
        "imap_uid": 1,
        "uid_validity": 1000,
    }
    assert all("BODY.PEEK[]" in c for c in state.commands if "FETCH" in c and "SIZE" not in c)

    second = mailbox_poll(mailbox)

    assert (second.fetched, second.stored) == (0, 0)
    assert state.fetched == [1, 2]

    state.messages[3] = text_mail(message_id="<three@x>")
    third = mailbox_poll(mailbox)

    assert (third.fetched, third.stored) == (1, 1)
    assert state.fetched == [1, 2, 3]
    assert InboundMessage.objects.count() == 3


def test_uidvalidity_change_rereads_without_duplicates(imap_server):
    state, port = imap_server
    state.messages = {1: text_mail(message_id="<one@x>"), 2: text_mail(message_id="<two@x>")}
    mailbox = _mailbox(port)
    mailbox_poll(mailbox)

    # The provider rebuilt the folder: new UIDVALIDITY, new UIDs, plus one new message.
    state.uid_validity = 2000
    state.messages = {
        50: state.messages[1],
        51: state.messages[2],
        52: text_mail(message_id="<new@x>"),
    }
    result = mailbox_poll(mailbox)

    assert (result.fetched, result.stored) == (3, 1)
    mailbox.refresh_from_db()
    assert (mailbox.uid_validity, mailbox.last_uid) == (2000, 52)
    assert sorted(InboundMessage.objects.values_list("external_id", flat=True)) == [
        "new@x",
        "one@x",
        "two@x",
    ]


def test_oversize_mail_is_kept_as_its_headers(imap_server, settings):
    settings.CLOSELOOP = {**settings.CLOSELOOP, "MAX_EMAIL_BYTES": 600}
    state, port = imap_server
    state.messages = {7: text_mail("x" * 2000, message_id="<big@x>")}

    mailbox_poll(_mailbox(port))

    row = InboundMessage.objects.get()
    assert row.meta["truncated"] is True
    assert row.meta["size"] == len(state.messages[7])
    assert len(bytes(row.raw)) < 600
    assert state.fetched == []  # the body was never downloaded


def test_a_login_failure_is_recorded_on_the_mailbox(imap_server):
    state, port = imap_server
    state.messages = {1: text_mail()}
    mailbox = _mailbox(port, imap_password="wrong")

    result = mailbox_poll(mailbox)

    assert result.stored == 0
    mailbox.refresh_from_db()
    assert "Invalid credentials" in mailbox.last_error or "LOGIN" in mailbox.last_error.upper()
    assert mailbox.last_uid == 0
    assert not InboundMessage.objects.exists()


def test_the_worker_sweep_polls_enabled_mailboxes(imap_server):
    state, port = imap_server
    state.messages = {1: text_mail(message_id="<sweep@x>")}
    _mailbox(port)
    _mailbox(port, address="off@shop.example", poll_enabled=False)

    call_command("worker", "--once")

    assert list(InboundMessage.objects.values_list("external_id", flat=True)) == ["sweep@x"]
    assert state.fetched == [1]
