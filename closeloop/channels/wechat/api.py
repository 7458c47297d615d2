"""The server address of a WeChat official account: ``/api/v1/channels/wechat/{app_id}``.

WeChat calls it with a GET once, to verify the address (we echo ``echostr`` when the signature
is right), then POSTs every message and event as XML: plain (``signature`` over token,
timestamp, nonce) or, in safe mode, encrypted (``encrypt_type=aes``, ``msg_signature`` also over
the ``Encrypt`` value). We verify, store the message's XML and answer ``success`` at once;
parsing and the ticket happen in the worker, far inside WeChat's five-second limit, and the
same message retried by WeChat (three times) is stored once.

Answers are plain text, as WeChat expects; only refusals are JSON errors like the rest of the
API (403 ``invalid_signature``, 400 ``invalid_xml``, 404 ``not_found``).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router

from closeloop.channels import pipeline
from closeloop.channels.models import WeChatAccount
from closeloop.channels.signing import InvalidSignature
from closeloop.channels.wechat.crypto import check_signature, check_timestamp, decrypt
from closeloop.channels.wechat.messages import InvalidXml, WeChatMessage, xml_fields
from closeloop.core import clock
from closeloop.core.errors import NotFound

router = Router(tags=["channels"])

CHANNEL = "wechat"


def _account(app_id: str) -> WeChatAccount:
    try:
        return WeChatAccount.objects.get(app_id=app_id, enabled=True)
    except WeChatAccount.DoesNotExist:
        raise NotFound(
            _("There is no enabled WeChat account %(app_id)s.") % {"app_id": app_id}
        ) from None


def _plain(text: str) -> HttpResponse:
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


@router.get(
    "/{app_id}",
    auth=None,
    summary="WeChat server address verification",
    description="WeChat checks the address: echoes `echostr` when `signature` is "
    "sha1(sorted token, timestamp, nonce). Plain text.",
)
def wechat_verify(
    request: HttpRequest,
    app_id: str,
    signature: str = "",
    timestamp: str = "",
    nonce: str = "",
    echostr: str = "",
) -> HttpResponse:
    account = _account(app_id)
    check_timestamp(timestamp, now=clock.now().timestamp())
    check_signature((account.token, timestamp, nonce), signature)
    return _plain(echostr)


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


@router.post(
    "/{app_id}",
    auth=None,
    summary="WeChat message push",
    description="A message or event as WeChat XML, plain or safe mode (`encrypt_type=aes`). "
    "Answers `success` (plain text) once the message is stored.",
)
def wechat_receive(
    request: HttpRequest,
    app_id: str,
    signature: str = "",
    timestamp: str = "",
    nonce: str = "",
    encrypt_type: str = "",
    msg_signature: str = "",
) -> HttpResponse:
    account = _account(app_id)
    xml = received_xml(
        account,
        request.body,
        signature=signature,
        timestamp=timestamp,
        nonce=nonce,
        encrypt_type=encrypt_type,
        msg_signature=msg_signature,
    )
    message = WeChatMessage.from_xml(xml)
    pipeline.inbound_store(
        channel=CHANNEL,
        external_id=message.external_id,
        raw=xml,
        content_type="application/xml",
        meta=message.meta(account.app_id),
    )
    return _plain("success")
