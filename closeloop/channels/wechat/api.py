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
from ninja import Router

from closeloop.channels.wechat.inbound import (
    wechat_account,
    wechat_check_address,
    wechat_push_store,
)

router = Router(tags=["channels"])


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
    wechat_check_address(
        wechat_account(app_id), signature=signature, timestamp=timestamp, nonce=nonce
    )
    return _plain(echostr)


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
    wechat_push_store(
        wechat_account(app_id),
        request.body,
        signature=signature,
        timestamp=timestamp,
        nonce=nonce,
        encrypt_type=encrypt_type,
        msg_signature=msg_signature,
    )
    return _plain("success")
