"""Mail the portal sends: sign-in links and "you have a reply" notices, through the default
support mailbox's SMTP server or Django's EMAIL_* settings (``smtp_route``)."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, make_msgid

from django.conf import settings

from closeloop.channels.adapters import PermanentFailure, RetryLater
from closeloop.channels.email.outbound import SmtpRoute, smtp_route
from closeloop.channels.models import Mailbox, SmtpSecurity
from closeloop.core import clock

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 20


def configured_route() -> SmtpRoute | None:
    """The SMTP route mail goes through, or None when no server is configured (neither a
    default mailbox with an SMTP host nor CLOSELOOP_EMAIL_HOST)."""
    has_mailbox_server = Mailbox.objects.filter(is_default=True).exclude(smtp_host="").exists()
    if not has_mailbox_server and not settings.CLOSELOOP.get("EMAIL_CONFIGURED"):
        return None
    route = smtp_route(None)
    return route if route.host else None


def _connect(route: SmtpRoute) -> smtplib.SMTP:
    if route.security == SmtpSecurity.SSL:
        return smtplib.SMTP_SSL(
            route.host, route.port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()
        )
    client = smtplib.SMTP(route.host, route.port, timeout=TIMEOUT_SECONDS)
    if route.security == SmtpSecurity.STARTTLS:
        client.starttls(context=ssl.create_default_context())
    return client


def portal_mail_send(route: SmtpRoute, *, to: str, subject: str, body: str) -> str:
    """Send one plain-text mail; return its Message-ID. Network trouble and 4xx answers raise
    RetryLater, 5xx answers PermanentFailure."""
    mail = EmailMessage(policy=SMTP)
    domain = route.address.rpartition("@")[2] or "closeloop.invalid"
    message_id = make_msgid(domain=domain)
    mail["Message-ID"] = message_id
    mail["From"] = formataddr((route.name, route.address)) if route.name else route.address
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(clock.now())
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(body, charset="utf-8")
    try:
        with _connect(route) as client:
            if route.username:
                client.login(route.username, route.password)
            client.send_message(mail, from_addr=route.address, to_addrs=[to])
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _text in error.recipients.values()]
        if any(400 <= code < 500 for code in codes):
            raise RetryLater(f"SMTP recipient deferred: {error.recipients}") from None
        raise PermanentFailure(f"SMTP recipient refused: {error.recipients}") from None
    except smtplib.SMTPResponseException as error:
        if 400 <= error.smtp_code < 500:
            raise RetryLater(f"SMTP {error.smtp_code}") from None
        raise PermanentFailure(f"SMTP {error.smtp_code}") from None
    except (smtplib.SMTPException, OSError) as error:
        raise RetryLater(f"SMTP server {route.host}:{route.port} unreachable: {error}") from None
    return message_id.strip("<>")
