"""Reading one raw email (RFC 5322 / MIME) into what the email channel needs, without ever
crashing on the mail real customers send: wrong charsets, raw 8-bit headers, broken
boundaries, truncated base64. Only input that is not mail at all raises ``MalformedInput``.
"""

from __future__ import annotations

import email
import email.policy
import functools
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from closeloop.channels.adapters import MalformedInput
from closeloop.channels.email.charsets import decode_bytes, decode_header_value, decode_words
from closeloop.channels.email.text import html_to_text, sanitize_html, split_quoted
from closeloop.tickets.intake import IncomingFile


@functools.lru_cache(maxsize=4096)
def _parsed_header(name: str, value: str) -> Any:
    return email.policy.default.header_fetch_parse(name, value)


class _ReusingPolicy(email.policy.EmailPolicy):
    """``email.policy.default``, except that a header value is parsed once, not on every read.

    The standard library parses a header into its structured object each time it is read,
    and reads Content-Type a dozen times per part while walking a message; that was most of
    the cost of reading mail. The parsed objects are read-only strings, so one parse of a
    given (name, value) serves every read.
    """

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if hasattr(value, "name") or not isinstance(value, str):
            return super().header_fetch_parse(name, value)
        return _parsed_header(name, value)


POLICY = _ReusingPolicy()

_MESSAGE_ID = re.compile(r"<([^<>\s]{1,250})>")
_BARE_ID = re.compile(r"^[^<>\s@]{1,200}@[^<>\s@]{1,200}$")
_ADDRESS = re.compile(r"^[^@\s<>\"(),:;]{1,64}@[^@\s<>\"(),:;]{1,255}$")
_MAX_DEPTH = 30
_MAX_PARTS = 500
_FILENAME_PARAM = re.compile(r"""(?:file)?name\*?\s*=\s*(?:"([^"]*)"|([^;\s]+))""", re.I)


@dataclass
class ParsedEmail:
    """One email as the channel reads it."""

    message_id: str
    in_reply_to: str
    references: list[str]
    from_address: str
    from_name: str
    reply_to: str
    to: list[str]
    cc: list[str]
    subject: str
    date: datetime | None
    text: str  # the whole plain text (from HTML when there is no text part)
    new_text: str
    quoted_text: str
    signature: str
    html: str  # sanitised
    files: list[IncomingFile] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    message: Message | None = field(default=None, repr=False)

    def header(self, name: str) -> str:
        """A header's decoded value ("" when absent)."""
        return header_text(self.message, name) if self.message is not None else ""


def message_ids(value: str) -> list[str]:
    """The ids in a Message-ID / In-Reply-To / References value, without angle brackets."""
    found = _MESSAGE_ID.findall(value or "")
    if not found and _BARE_ID.match((value or "").strip()):
        found = [value.strip()]
    return found


def header_text(message: Message, name: str) -> str:
    """The decoded value of a header, from the raw bytes (the policy's decoding turns 8-bit
    GBK into replacement characters)."""
    wanted = name.lower()
    for key, value in message.raw_items():
        if key.lower() == wanted:
            return decode_header_value(str(value))
    return ""


def _header_all(message: Message, name: str) -> list[str]:
    wanted = name.lower()
    return [decode_header_value(str(v)) for k, v in message.raw_items() if k.lower() == wanted]


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for display, address in getaddresses(values):
        address = address.strip().lower()
        if _ADDRESS.match(address):
            pairs.append((display.strip(), address))
    return pairs


def message_id_of(raw: bytes) -> str:
    """The Message-ID of a raw message, else ``sha256:<hex>`` of its bytes (the key it is
    stored under, so the same mail delivered twice is stored once)."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    for line in re.split(rb"\r?\n(?![ \t])", head[:65536]):
        key, _, value = line.partition(b":")
        if key.strip().lower() == b"message-id":
            ids = message_ids(value.decode("ascii", "replace"))
            if ids:
                return ids[0]
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _payload_bytes(part: Message, defects: list[str]) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception as error:  # a broken transfer encoding: keep going without this part
        defects.append(f"undecodable part: {type(error).__name__}")
        return b""
    if isinstance(payload, bytes):
        return payload
    return b""


def _filename(part: Message) -> str:
    found: object = ""
    try:
        found = part.get_filename() or part.get_param("name", header="content-type") or ""
    except Exception:  # malformed parameters: read them from the raw header below
        found = ""
    if isinstance(found, tuple):  # compat32-style (charset, language, value)
        found = found[2]
    name = str(found)
    if not name or "\ufffd" in name or "=?" in name or any("\udc80" <= c <= "\udcff" for c in name):
        for header in ("content-disposition", "content-type"):
            raw = header_text(part, header)
            match = _FILENAME_PARAM.search(raw)
            if match:
                name = match.group(1) or match.group(2) or name
                break
    return decode_words(name).strip()


class _Walker:
    """Collects bodies and files from a MIME tree, depth- and count-limited."""

    def __init__(self, defects: list[str]) -> None:
        self.defects = defects
        self.plain: list[str] = []
        self.html: list[str] = []
        self.files: list[IncomingFile] = []
        self.parts = 0

    def walk(self, part: Message, depth: int = 0, *, related: bool = False) -> None:
        self.parts += 1
        if depth > _MAX_DEPTH or self.parts > _MAX_PARTS:
            self.defects.append("too deeply nested or too many parts")
            return
        self.defects.extend(type(defect).__name__ for defect in getattr(part, "defects", []))
        content_type = part.get_content_type()
        if content_type in ("message/rfc822", "message/global") or (
            content_type.startswith("message/") and part.is_multipart()
        ):
            self._attach_message(part)
            return
        if part.is_multipart():
            payload = part.get_payload()
            children = payload if isinstance(payload, list) else []
            is_related = content_type == "multipart/related"
            for child in children:
                if isinstance(child, Message):
                    self.walk(child, depth + 1, related=is_related)
            return
        disposition = (part.get_content_disposition() or "").lower()
        filename = _filename(part)
        is_text = content_type in ("text/plain", "text/html")
        if is_text and disposition != "attachment" and not filename:
            data = _payload_bytes(part, self.defects)
            text = decode_bytes(data, part.get_content_charset())
            (self.plain if content_type == "text/plain" else self.html).append(text)
            return
        self._attach(part, filename, disposition, related=related)

    def _attach(self, part: Message, filename: str, disposition: str, *, related: bool) -> None:
        data = _payload_bytes(part, self.defects)
        content_id = message_ids(str(part.get("Content-ID", "") or ""))
        is_inline = bool(content_id) and (related or disposition == "inline")
        content_type = part.get_content_type()
        if not filename:
            extension = content_type.split("/")[-1][:10] or "bin"
            filename = (
                f"{'inline' if is_inline else 'attachment'}-{len(self.files) + 1}.{extension}"
            )
        self.files.append(
            IncomingFile(
                filename=filename[:200],
                content_type=content_type,
                data=data,
                content_id=content_id[0] if content_id else "",
                is_inline=is_inline,
            )
        )

    def _attach_message(self, part: Message) -> None:
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        try:
            data = inner.as_bytes() if isinstance(inner, Message) else _payload_bytes(part, [])
        except Exception:  # a forwarded message that cannot be serialised again
            data = b""
            self.defects.append("unreadable attached message")
        subject = header_text(inner, "subject") if isinstance(inner, Message) else ""
        name = _filename(part) or f"{(subject or 'message')[:80]}.eml"
        self.files.append(IncomingFile(filename=name, content_type="message/rfc822", data=data))


def _date(message: Message) -> datetime | None:
    raw = header_text(message, "date")
    if not raw:
        return None
    try:
        parsed = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo is not None else None


def _looks_like_mail(message: Message) -> bool:
    keys = {str(key).lower() for key in message.keys()}  # noqa: SIM118
    return bool(keys & {"from", "message-id", "subject", "to", "date", "received", "sender"})


def parse_email(raw: bytes) -> ParsedEmail:
    """Read one raw message. Raises ``MalformedInput`` only when ``raw`` is not mail at all."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise MalformedInput("An email must be bytes.")
    raw = bytes(raw)
    if not raw.strip():
        raise MalformedInput("The message is empty.")
    try:
        message = email.message_from_bytes(raw, policy=POLICY)
    except Exception as error:  # the parser is meant to be total; be sure
        raise MalformedInput(f"The message cannot be parsed: {type(error).__name__}") from None
    if not _looks_like_mail(message):
        raise MalformedInput("The data has no mail headers (From, Message-ID, Subject, …).")
    defects: list[str] = []
    walker = _Walker(defects)
    try:
        walker.walk(message)
    except Exception as error:  # noqa: BLE001 - a parser bug must not lose the mail
        defects.append(f"unreadable structure: {type(error).__name__}")
        if not walker.plain and not walker.html:
            walker.plain.append(decode_bytes(raw.split(b"\n\n", 1)[-1], None))
    html_source = "\n".join(walker.html)
    text = "\n\n".join(t.strip() for t in walker.plain if t.strip())
    if not text and html_source:
        text = html_to_text(html_source)
    split = split_quoted(text)
    from_name, from_address = "", ""
    senders = _addresses(_header_all(message, "from") or _header_all(message, "sender"))
    if senders:
        from_name, from_address = senders[0]
    reply_to = _addresses(_header_all(message, "reply-to"))
    own_ids = message_ids(header_text(message, "message-id"))
    return ParsedEmail(
        message_id=own_ids[0] if own_ids else "",
        in_reply_to=next(iter(message_ids(header_text(message, "in-reply-to"))), ""),
        references=message_ids(" ".join(_header_all(message, "references"))),
        from_address=from_address,
        from_name=from_name,
        reply_to=reply_to[0][1] if reply_to else "",
        to=[address for _, address in _addresses(_header_all(message, "to"))],
        cc=[address for _, address in _addresses(_header_all(message, "cc"))],
        subject=header_text(message, "subject")[:998],
        date=_date(message),
        text=text,
        new_text=split.new_text,
        quoted_text=split.quoted_text,
        signature=split.signature,
        html=sanitize_html(html_source),
        files=walker.files,
        defects=sorted(set(defects))[:50],
        message=message,
    )


__all__ = ["ParsedEmail", "message_id_of", "message_ids", "parse_email"]
