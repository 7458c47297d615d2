"""What arrives at a WeChat account's server address: the address check, and each push
verified (and in safe mode decrypted) and stored raw for the worker."""

from __future__ import annotations

from django.utils.translation import gettext as _

from closeloop.channels import pipeline
from closeloop.channels.models import InboundMessage, WeChatAccount
from closeloop.channels.signing import InvalidSignature
from closeloop.channels.wechat.adapter import CHANNEL
from closeloop.channels.wechat.crypto import check_signature, check_timestamp, decrypt
from closeloop.channels.wechat.messages import InvalidXml, WeChatMessage, xml_fields
from closeloop.core import clock
from closeloop.core.errors import NotFound


def wechat_account(app_id: str) -> WeChatAccount:
    """The enabled account this server address belongs to."""
    try:
        return WeChatAccount.objects.get(app_id=app_id, enabled=True)
    except WeChatAccount.DoesNotExist:
        raise NotFound(
            _("There is no enabled WeChat account %(app_id)s.") % {"app_id": app_id}
        ) from None


def wechat_check_address(
    account: WeChatAccount, *, signature: str, timestamp: str, nonce: str
) -> None:
    """WeChat's one-off check of the server address: the signature over token, timestamp and
    nonce, and a recent timestamp."""
    check_timestamp(timestamp, now=clock.now().timestamp())
    check_signature((account.token, timestamp, nonce), signature)


def received_xml(
    account: WeChatAccount,
    body: bytes,
    *,
    signature: str,
    timestamp: str,
    nonce: str,
    encrypt_type: str,
    msg_signature: str,
) -> bytes:
    """The message XML of a verified request: the body (plain mode), or what its ``Encrypt``
    holds (safe mode; compatible mode sends the same with the plain fields beside it)."""
    check_timestamp(timestamp, now=clock.now().timestamp())
    if encrypt_type.lower() != "aes":
        check_signature((account.token, timestamp, nonce), signature)
        return body
    if not account.encoding_aes_key:
        raise InvalidSignature(_("The message is encrypted but the account has no EncodingAESKey."))
    encrypted = xml_fields(body).get("Encrypt", "").strip()
    if not encrypted:
        raise InvalidXml(_("The encrypted message has no <Encrypt> element."))
    check_signature((account.token, timestamp, nonce, encrypted), msg_signature)
    return decrypt(
        encoding_aes_key=account.encoding_aes_key, app_id=account.app_id, encrypted=encrypted
    )


def wechat_push_store(
    account: WeChatAccount,
    body: bytes,
    *,
    signature: str,
    timestamp: str,
    nonce: str,
    encrypt_type: str,
    msg_signature: str,
) -> InboundMessage:
    """Verify a push, read its message XML and store it (once, however often WeChat retries)."""
    xml = received_xml(
        account,
        body,
        signature=signature,
        timestamp=timestamp,
        nonce=nonce,
        encrypt_type=encrypt_type,
        msg_signature=msg_signature,
    )
    message = WeChatMessage.from_xml(xml)
    inbound, _created = pipeline.inbound_store(
        channel=CHANNEL,
        external_id=message.external_id,
        raw=xml,
        content_type="application/xml",
        meta=message.meta(account.app_id),
    )
    return inbound
