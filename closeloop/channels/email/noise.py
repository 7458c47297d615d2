"""Mail no person wrote: auto-replies, bounces, bulk and list mail. It is stored but opens no
ticket and never gets an answer (answering an auto-reply starts a mail loop). A bounce that
names a Message-ID we sent marks that reply as failed on its ticket.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message

from closeloop.channels.email.parse import ParsedEmail, header_text, message_ids

_DAEMON_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.I)
_NOREPLY_DAEMON_NAMES = re.compile(r"mail delivery (subsystem|system)|邮件系统退信", re.I)
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
_ORIGINAL_ID = re.compile(r"^\s*Message-ID\s*:\s*(<[^<>\s]+>)", re.I | re.M)


@dataclass
class Noise:
    """Why a message opens no ticket, and for bounces what they report."""

    reason: str  # "auto_reply", "bounce", "bulk", "" (a person wrote it)
    bounced_ids: list[str] = field(default_factory=list)
    bounce_detail: str = ""
    is_permanent: bool = True


def _is_report(message: Message) -> bool:
    return message.get_content_type() == "multipart/report" and (
        str(message.get_param("report-type", "") or "").lower() == "delivery-status"
    )


def _walk(message: Message) -> list[Message]:
    try:
        return list(message.walk())[:200]
    except Exception:  # a broken tree: the top level is still there
        return [message]


def _delivery_status(message: Message) -> tuple[list[str], bool]:
    """(status lines, whether any recipient failed for good) of a DSN."""
    details: list[str] = []
    failed = False
    for part in _walk(message):
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        blocks = payload if isinstance(payload, list) else []
        for block in blocks:
            if not isinstance(block, Message):
                continue
            action = str(block.get("Action", "") or "").strip().lower()
            status = str(block.get("Status", "") or "").strip()
            diagnostic = str(block.get("Diagnostic-Code", "") or "").strip()
            recipient = str(block.get("Final-Recipient", "") or "").split(";")[-1].strip()
            if action:
                details.append(" ".join(filter(None, [recipient, action, status, diagnostic])))
            if action == "failed" or status.startswith("5"):
                failed = True
    return details, failed


def _original_ids(message: Message) -> list[str]:
    """Message-IDs of the messages a bounce returns (the attached original or its headers)."""
    found: list[str] = []
    for part in _walk(message):
        content_type = part.get_content_type()
        if content_type in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message):
                found += message_ids(header_text(inner, "message-id"))
        elif content_type in ("text/rfc822-headers", "text/plain", "message/global-headers"):
            try:
                data = part.get_payload(decode=True)
            except Exception:  # an undecodable part names nothing
                data = None
            if isinstance(data, bytes):
                for raw_id in _ORIGINAL_ID.findall(data.decode("utf-8", "replace")):
                    found += message_ids(raw_id)
    return list(dict.fromkeys(found))


def classify_noise(parsed: ParsedEmail) -> Noise:
    """Whether and why a message is machine-written; bounces name the messages they return."""
    message = parsed.message
    if message is None:
        return Noise("")
    header = parsed.header
    sender = parsed.from_address
    if (
        _is_report(message)
        or _DAEMON_SENDERS.match(sender)
        or (
            _NOREPLY_DAEMON_NAMES.search(parsed.from_name)
            and message.get_content_type() == "multipart/report"
        )
    ):
        details, failed = _delivery_status(message)
        return Noise(
            "bounce",
            bounced_ids=_original_ids(message),
            bounce_detail="; ".join(details)[:1000] or parsed.subject[:300],
            is_permanent=failed or not details,
        )
    auto_submitted = header("auto-submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return Noise("auto_reply")
    if header("x-autoreply") or header("x-autorespond") or header("x-auto-response-suppress"):
        return Noise("auto_reply")
    precedence = header("precedence").lower().strip()
    if precedence in _BULK_PRECEDENCE:
        return Noise("auto_reply" if precedence == "auto_reply" else "bulk")
    if header("list-id") or header("list-unsubscribe"):
        return Noise("bulk")
    return Noise("")
