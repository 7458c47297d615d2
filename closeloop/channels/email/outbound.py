"""Sending an agent's reply by SMTP so the customer's mail program threads it: our own
Message-ID (kept as the delivery's id, so their answer finds the ticket), In-Reply-To and
References to their mail, and the ticket number in the subject as a fallback."""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, make_msgid

from django.conf import settings

from closeloop.channels.adapters import PermanentFailure, RetryLater
from closeloop.channels.email.parse import message_ids
from closeloop.channels.models import Delivery, DeliveryStatus, Mailbox, SmtpSecurity
from closeloop.core import clock
from closeloop.tickets.intake import subject_tag
from closeloop.tickets.models import AuthorKind, Message, Ticket

CHANNEL = "email"
TIMEOUT_SECONDS = 30
MAX_REFERENCES = 20
_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|回复|答复|转发)\s*[:：]\s*)+", re.I)
_TAG = re.compile(r"\s*\[#?(?:[A-Z]{1,10}-?)?\d{1,15}\]\s*")


@dataclass(frozen=True)
class SmtpRoute:
    """Where and as whom a reply is sent."""

    host: str
    port: int
    security: str
    username: str
    password: str
    address: str
    name: str


def latest_customer_email(ticket: Ticket) -> Message | None:
    """The customer's most recent email on the ticket (its Message-ID is what we answer)."""
    return (
        Message.objects.filter(ticket=ticket, channel=CHANNEL, author_kind=AuthorKind.CUSTOMER)
        .order_by("-created_at", "-id")
        .first()
    )


def _mailbox_for(latest: Message | None) -> Mailbox | None:
    wanted: list[str] = []
    if latest is not None:
        meta = latest.meta or {}
        wanted = [str(meta.get("mailbox") or ""), *[str(a) for a in meta.get("to") or []]]
        wanted += [str(a) for a in meta.get("cc") or []]
    wanted = [address.lower() for address in wanted if address]
    if wanted:
        by_address = {m.address.lower(): m for m in Mailbox.objects.filter(address__in=wanted)}
        if len(by_address) < len({*wanted}):
            # EmailField keeps the case it was given; compare case-insensitively.
            for mailbox in Mailbox.objects.all()[:200]:
                by_address.setdefault(mailbox.address.lower(), mailbox)
        for address in wanted:
            if address in by_address:
                return by_address[address]
    return Mailbox.objects.filter(is_default=True).first()


def smtp_route(latest: Message | None) -> SmtpRoute:
    """The mailbox the customer wrote to, else the default one, else Django's EMAIL_*."""
    mailbox = _mailbox_for(latest)
    if mailbox is not None and mailbox.smtp_host:
        return SmtpRoute(
            host=mailbox.smtp_host,
            port=mailbox.smtp_port,
            security=mailbox.smtp_security,
            username=mailbox.smtp_username,
            password=mailbox.smtp_password,
            address=mailbox.address,
            name=mailbox.name,
        )
    address = mailbox.address if mailbox is not None else str(settings.DEFAULT_FROM_EMAIL)
    use_ssl = bool(getattr(settings, "EMAIL_USE_SSL", False))
    use_tls = bool(getattr(settings, "EMAIL_USE_TLS", False))
    return SmtpRoute(
        host=str(settings.EMAIL_HOST),
        port=int(settings.EMAIL_PORT),
        security=SmtpSecurity.SSL if use_ssl else SmtpSecurity.STARTTLS if use_tls else "none",
        username=str(getattr(settings, "EMAIL_HOST_USER", "") or ""),
        password=str(getattr(settings, "EMAIL_HOST_PASSWORD", "") or ""),
        address=address,
        name=mailbox.name if mailbox is not None else "",
    )


def reply_subject(ticket: Ticket) -> str:
    """``Re: <subject> [#number]``, without piling up prefixes or tags."""
    subject = _TAG.sub(" ", _PREFIX.sub("", ticket.subject or "")).strip()
    return f"Re: {subject} {subject_tag(ticket)}".replace("  ", " ")


def _thread_ids(ticket: Ticket) -> list[str]:
    customer_ids = list(
        Message.objects.filter(ticket=ticket, channel=CHANNEL, external_id__isnull=False)
        .exclude(author_kind__in=[AuthorKind.AGENT, AuthorKind.BOT])
        .order_by("created_at", "id")
        .values_list("external_id", "created_at")
    )
    sent_ids = list(
        Delivery.objects.filter(ticket=ticket, channel=CHANNEL, status=DeliveryStatus.SENT)
        .exclude(external_id="")
        .values_list("external_id", "sent_at")
    )
    merged = sorted(
        [(at, ref) for ref, at in customer_ids if ref and at]
        + [(at, ref) for ref, at in sent_ids if at],
        key=lambda item: item[0],
    )
    ordered = [ref for _, ref in merged if not ref.startswith("sha256:")]
    return list(dict.fromkeys(ordered))[-MAX_REFERENCES:]


def build_reply(delivery: Delivery, route: SmtpRoute, latest: Message | None) -> EmailMessage:
    """The MIME message of one reply."""
    ticket = delivery.ticket
    domain = route.address.rpartition("@")[2] or "closeloop.invalid"
    reply = EmailMessage(policy=SMTP)
    reply["Message-ID"] = make_msgid(domain=domain)
    reply["From"] = formataddr((route.name, route.address)) if route.name else route.address
    reply["To"] = delivery.recipient
    reply["Subject"] = reply_subject(ticket)
    reply["Date"] = format_datetime(clock.now())
    parent = latest.external_id if latest is not None else ""
    if parent and not parent.startswith("sha256:"):
        reply["In-Reply-To"] = f"<{parent}>"
    references = _thread_ids(ticket)
    if references:
        reply["References"] = " ".join(f"<{ref}>" for ref in references)
    # Auto-responders must not answer a ticket reply (RFC 3834 loop protection).
    reply["Auto-Submitted"] = "auto-replied" if delivery.message.author_kind == "bot" else "no"
    reply["X-Closeloop-Ticket"] = str(ticket.number)
    reply.set_content(delivery.message.body, charset="utf-8")
    return reply


def _connect(route: SmtpRoute) -> smtplib.SMTP:
    if route.security == SmtpSecurity.SSL:
        return smtplib.SMTP_SSL(
            route.host, route.port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()
        )
    client = smtplib.SMTP(route.host, route.port, timeout=TIMEOUT_SECONDS)
    if route.security == SmtpSecurity.STARTTLS:
        client.starttls(context=ssl.create_default_context())
    return client


def smtp_send(delivery: Delivery) -> str:
    """Send one reply; return its Message-ID (without brackets). 4xx answers and network
    errors are temporary (``RetryLater``), 5xx answers permanent (``PermanentFailure``)."""
    latest = latest_customer_email(delivery.ticket)
    route = smtp_route(latest)
    if not route.host:
        raise PermanentFailure("no SMTP server is configured for this mailbox")
    reply = build_reply(delivery, route, latest)
    try:
        with _connect(route) as client:
            if route.username:
                client.login(route.username, route.password)
            refused = client.send_message(
                reply, from_addr=route.address, to_addrs=[delivery.recipient]
            )
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        detail = "; ".join(f"{code} {text!r}" for code, text in error.recipients.values())
        if any(400 <= code < 500 for code in codes):
            raise RetryLater(f"SMTP recipient deferred: {detail}") from None
        raise PermanentFailure(f"SMTP recipient refused: {detail}") from None
    except smtplib.SMTPResponseException as error:
        text = (
            error.smtp_error.decode("utf-8", "replace")
            if isinstance(error.smtp_error, bytes)
            else str(error.smtp_error)
        )
        if 400 <= error.smtp_code < 500:
            raise RetryLater(f"SMTP {error.smtp_code} {text}") from None
        raise PermanentFailure(f"SMTP {error.smtp_code} {text}") from None
    except smtplib.SMTPNotSupportedError as error:
        raise PermanentFailure(f"SMTP server does not support this: {error}") from None
    except (smtplib.SMTPException, OSError) as error:
        raise RetryLater(f"SMTP server {route.host}:{route.port} unreachable: {error}") from None
    if refused:
        raise PermanentFailure(f"SMTP recipient refused: {refused}")
    return message_ids(str(reply["Message-ID"]))[0]
