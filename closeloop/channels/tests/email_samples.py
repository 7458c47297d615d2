"""Real MIME messages, built as bytes the way mail programs write them, for the email tests."""

from __future__ import annotations

import base64
import codecs
from email.mime.application import MIMEApplication
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

SUPPORT = "support@shop.example"
# The smallest valid PNG (1×1), for inline images.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def encoded_word(text: str, charset: str) -> str:
    """``text`` as one RFC 2047 B-encoded word in ``charset``."""
    data = text.encode(codecs.lookup(charset).name)
    return f"=?{charset}?B?{base64.b64encode(data).decode()}?="


def _headers(
    message,  # noqa: ANN001
    *,
    subject: str,
    sender: str,
    to: str,
    message_id: str | None,
    in_reply_to: str | None,
    references: str | None,
    extra: dict[str, str] | None,
) -> None:
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Mon, 05 Jan 2026 10:00:00 +0800"
    if message_id:
        message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (extra or {}).items():
        message[name] = value


def text_mail(
    body: str = "My order 123 has not arrived.",
    *,
    charset: str = "utf-8",
    subject: str = "Order 123 missing",
    sender: str = "Alice <alice@example.com>",
    to: str = SUPPORT,
    message_id: str | None = "<m1@example.com>",
    in_reply_to: str | None = None,
    references: str | None = None,
    extra: dict[str, str] | None = None,
) -> bytes:
    """A single-part text/plain message."""
    message = MIMEText(body, "plain", charset)
    _headers(
        message,
        subject=subject,
        sender=sender,
        to=to,
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        extra=extra,
    )
    return message.as_bytes()


def rich_mail(
    *,
    text: str | None = "See the photo.",
    html: str = '<p>See the photo.</p><img src="cid:photo1@example.com"><script>alert(1)</script>',
    attachments: list[tuple[str, bytes, str]] = (),  # type: ignore[assignment]
    inline_png: bool = True,
    subject: str = "Broken screen",
    sender: str = "Bob <bob@example.com>",
    message_id: str = "<rich1@example.com>",
) -> bytes:
    """multipart/mixed > multipart/related > (multipart/alternative, inline image) + files."""
    related = MIMEMultipart("related")
    if text is not None:
        alternative = MIMEMultipart("alternative")
        alternative.attach(MIMEText(text, "plain", "utf-8"))
        alternative.attach(MIMEText(html, "html", "utf-8"))
        related.attach(alternative)
    else:
        related.attach(MIMEText(html, "html", "utf-8"))
    if inline_png:
        image = MIMEImage(PNG, "png")
        image["Content-ID"] = "<photo1@example.com>"
        image["Content-Disposition"] = "inline"
        related.attach(image)
    outer = MIMEMultipart("mixed")
    outer.attach(related)
    for filename, data, subtype in attachments:
        part = MIMEApplication(data, subtype)
        part.add_header("Content-Disposition", "attachment", filename=filename)
        outer.attach(part)
    _headers(
        outer,
        subject=subject,
        sender=sender,
        to=SUPPORT,
        message_id=message_id,
        in_reply_to=None,
        references=None,
        extra=None,
    )
    return outer.as_bytes()


def bounce_mail(original_id: str, *, status: str = "5.1.1", action: str = "failed") -> bytes:
    """A multipart/report delivery-status notification (RFC 3464) returning ``original_id``."""
    boundary = "dsn-boundary-1"
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
        f"To: {SUPPORT}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-1@mx.example.net>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        "Your message could not be delivered.\r\n"
        f"--{boundary}\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n\r\n"
        "Final-Recipient: rfc822; nobody@example.com\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/rfc822-headers\r\n\r\n"
        f"From: {SUPPORT}\r\n"
        f"Message-ID: <{original_id}>\r\n"
        "Subject: Re: Order 123 missing\r\n"
        f"--{boundary}--\r\n"
    ).encode()
