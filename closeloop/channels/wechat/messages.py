"""Reading the XML WeChat pushes to the server address, safely.

WeChat's messages are one flat ``<xml>`` element of fields. We parse with ``defusedxml`` and
refuse any DTD outright: WeChat never sends one, and a DTD is how entity expansion ("billion
laughs") and external entities get in. Every failure is an ``InvalidXml`` (400), never an
exception from the parser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.utils.translation import gettext as _

from closeloop.channels.adapters import MalformedInput


class InvalidXml(MalformedInput):
    """The body is not a WeChat XML message (or carries a DTD / entities)."""

    code = "invalid_xml"
    http_status = 400


def xml_fields(raw: bytes) -> dict[str, str]:
    """The direct child elements of WeChat's ``<xml>`` root as {tag: text}."""
    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise InvalidXml(_("XML with a DTD or entities is refused.")) from None
    except (ParseError, ValueError, LookupError, UnicodeError):
        raise InvalidXml(_("The body is not well-formed XML.")) from None
    if root.tag != "xml":
        raise InvalidXml(_("The body is not a WeChat message (no <xml> root)."))
    return {child.tag: child.text or "" for child in root if isinstance(child.tag, str)}


@dataclass(frozen=True)
class WeChatMessage:
    """One message or event as WeChat pushed it: its fields and what we key and count it by."""

    fields: dict[str, str]

    @classmethod
    def from_xml(cls, raw: bytes) -> WeChatMessage:
        """Parse and check the fields every message has; ``InvalidXml`` otherwise."""
        message = cls(xml_fields(raw))
        if not message.openid:
            raise InvalidXml(_("The message has no FromUserName."))
        if not message.msg_type:
            raise InvalidXml(_("The message has no MsgType."))
        if message.created is None:
            raise InvalidXml(_("The message has no valid CreateTime."))
        return message

    def get(self, name: str) -> str:
        return self.fields.get(name, "").strip()

    @property
    def openid(self) -> str:
        return self.get("FromUserName")

    @property
    def msg_type(self) -> str:
        return self.get("MsgType")

    @property
    def event(self) -> str:
        """The event name (``subscribe``, ``CLICK`` …) for events, else empty."""
        return self.get("Event") if self.msg_type == "event" else ""

    @property
    def created(self) -> int | None:
        """WeChat's CreateTime: Unix seconds of the user's action."""
        value = self.get("CreateTime")
        return int(value) if value.isdigit() and len(value) <= 12 else None

    @property
    def external_id(self) -> str:
        """How WeChat says to deduplicate its retries: MsgId for messages, FromUserName and
        CreateTime for events (which have no MsgId). The event name is added so two different
        events in one second (a follow, then a menu click) stay two."""
        msg_id = self.get("MsgId")
        if msg_id:
            return msg_id
        return f"event:{self.openid}:{self.created}:{self.event or self.msg_type}"

    def meta(self, app_id: str) -> dict[str, Any]:
        """The facts stored on the InboundMessage: the reply window is counted from them."""
        return {
            "app_id": app_id,
            "openid": self.openid,
            "msg_type": self.msg_type,
            "event": self.event,
            "created": self.created,
        }
