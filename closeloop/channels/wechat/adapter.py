"""The WeChat official account channel: messages users send the account become tickets, and
agents' replies go back as customer-service messages while WeChat's reply window is open.

The stored payload is the (decrypted) XML WeChat pushed. Media are not downloaded: the
message's text says what it was (``[image]``) and ``Message.meta`` keeps WeChat's facts (the
picture URL, the media id, the location, the link, the voice recognition) for the agent.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from closeloop.channels.adapters import Adapter, Blocked, Parsed, PermanentFailure, Sender, register
from closeloop.channels.models import Delivery, InboundMessage, WeChatAccount
from closeloop.channels.wechat.client import custom_message_send
from closeloop.channels.wechat.messages import WeChatMessage
from closeloop.channels.wechat.window import window_is_open
from closeloop.customers.models import IdentityKind
from closeloop.tickets.intake import Contact
from closeloop.tickets.models import AuthorKind, Message, Ticket
from closeloop.tickets.services import MessageContent

CHANNEL = "wechat"


def _content(message: WeChatMessage) -> tuple[str, dict[str, Any]] | None:
    """The text and the channel facts of a user's message; None for types we do not read."""
    get = message.get
    kind = message.msg_type
    if kind == "text":
        return message.fields.get("Content", ""), {}
    if kind == "image":
        return "[image]", {"image": {"pic_url": get("PicUrl"), "media_id": get("MediaId")}}
    if kind == "voice":
        recognition = get("Recognition")
        facts = {"media_id": get("MediaId"), "format": get("Format"), "recognition": recognition}
        return recognition or "[voice]", {"voice": facts}
    if kind in ("video", "shortvideo"):
        facts = {"media_id": get("MediaId"), "thumb_media_id": get("ThumbMediaId")}
        return f"[{kind}]", {kind: facts}
    if kind == "location":
        label = get("Label")
        latitude, longitude = get("Location_X"), get("Location_Y")
        facts = {
            "latitude": latitude,
            "longitude": longitude,
            "scale": get("Scale"),
            "label": label,
        }
        return f"[location] {label} ({latitude}, {longitude})".replace("  ", " "), {
            "location": facts
        }
    if kind == "link":
        title, description, url = get("Title"), get("Description"), get("Url")
        body = "\n".join(part for part in (f"[link] {title}", description, url) if part)
        return body, {"link": {"title": title, "description": description, "url": url}}
    return None


class WeChatAdapter(Adapter):
    """Official-account messages in; customer-service text messages out."""

    channel = CHANNEL

    def parse(self, inbound: InboundMessage) -> Parsed:
        message = WeChatMessage.from_xml(bytes(inbound.raw))
        if message.msg_type == "event":
            # Follows, unfollows and menu clicks open nothing, but they are kept: they open
            # (or close) the reply window.
            return Parsed(ignore_reason=f"event {message.event or 'unknown'}")
        content = _content(message)
        if content is None:
            return Parsed(ignore_reason=f"unhandled message type {message.msg_type!r}")
        body, facts = content
        app_id = str(inbound.meta.get("app_id", ""))
        meta = {
            "app_id": app_id,
            "openid": message.openid,
            "msg_type": message.msg_type,
            "msg_id": message.get("MsgId"),
            **facts,
        }
        contact = Contact(
            channel=CHANNEL,
            external_id=inbound.external_id,
            body=body,
            content=MessageContent(meta=meta),
        )
        return Parsed(sender=Sender(wechat_openid=message.openid), contact=contact)

    def recipient(self, ticket: Ticket, message: Message) -> str | None:
        """The openid the customer last wrote from on this ticket, else their WeChat identity."""
        metas = (
            Message.objects.filter(
                ticket_id=ticket.pk, channel=CHANNEL, author_kind=AuthorKind.CUSTOMER
            )
            .order_by("-created_at", "-id")
            .values_list("meta", flat=True)[:1]
        )
        for meta in metas:
            if isinstance(meta, dict) and meta.get("openid"):
                return str(meta["openid"])
        return (
            ticket.customer.identities.filter(kind=IdentityKind.WECHAT)
            .order_by("-created_at")
            .values_list("value", flat=True)
            .first()
        )

    def send(self, delivery: Delivery) -> str:
        openid = delivery.recipient
        account = _account_for(openid)
        if not window_is_open(openid, app_id=account.app_id):
            raise Blocked(
                _(
                    "WeChat's reply window is closed: the customer has not written in the last "
                    "48 hours, or the messages allowed since have been sent."
                ),
                alternatives=alternatives_for(delivery.ticket),
            )
        try:
            answer = custom_message_send(account, openid=openid, text=delivery.message.body)
        except Blocked as refused:
            raise Blocked(refused.reason, alternatives=alternatives_for(delivery.ticket)) from None
        msg_id = answer.get("msgid")
        return str(msg_id) if msg_id else ""


def _account_for(openid: str) -> WeChatAccount:
    """The account the user wrote to last: openids are per official account."""
    app_id = (
        InboundMessage.objects.filter(channel=CHANNEL, meta__openid=openid)
        .order_by("-received_at", "-id")
        .values_list("meta__app_id", flat=True)
        .first()
    )
    account = WeChatAccount.objects.filter(app_id=app_id, enabled=True).first() if app_id else None
    if account is None:
        raise PermanentFailure(
            _("No enabled WeChat account has received a message from this customer.")
        )
    return account


def alternatives_for(ticket: Ticket) -> list[dict[str, str]]:
    """The customer's other channels, for the agent to resend through (the API's ``via``)."""
    channels = {IdentityKind.EMAIL: "email", IdentityKind.PHONE: "sms"}
    found = []
    for kind, value in (
        ticket.customer.identities.filter(kind__in=list(channels))
        .order_by("kind", "-created_at")
        .values_list("kind", "value")
    ):
        found.append({"channel": channels[IdentityKind(kind)], "address": value})
    return found


register(WeChatAdapter())
