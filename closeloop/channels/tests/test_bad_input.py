"""Whatever arrives at a channel endpoint, the answer is a 4xx with a code, never a 500, and
nothing is stored from an unauthenticated request."""

from __future__ import annotations

import pytest
from django.test import Client

from closeloop.channels.models import InboundMessage, Integration, WeChatAccount

pytestmark = pytest.mark.django_db

BODIES = [
    b"",
    b"\x00\xff\xfe",
    b"{",
    b"[]",
    b'{"app_user_id": 1, "call_id": null}',
    b"<xml><MsgType>text</MsgType></xml>",
    "中文".encode("gbk"),
]
PATHS = [
    "/api/v1/channels/email/inbound",
    "/api/v1/channels/wechat/wx123",
    "/api/v1/channels/wechat/wx123?signature=a&timestamp=1&nonce=2",
    "/api/v1/channels/wechat/wx123?encrypt_type=aes&msg_signature=a&timestamp=1&nonce=2",
    "/api/v1/channels/app/messages",
    "/api/v1/channels/phone/calls",
]


def test_garbage_gets_a_4xx_and_stores_nothing(settings):
    settings.CLOSELOOP = {**settings.CLOSELOOP, "EMAIL_WEBHOOK_SECRET": "secret"}
    WeChatAccount.objects.create(
        name="x", app_id="wx123", app_secret="s", token="t", encoding_aes_key="a" * 43
    )
    keys = ["", Integration.objects.create(kind="app", name="a").key]
    keys.append(Integration.objects.create(kind="phone", name="p").key)
    client = Client(raise_request_exception=False)
    for path in PATHS:
        for body in BODIES:
            for content_type in ("application/json", "text/xml", "message/rfc822"):
                for key in keys:
                    response = client.post(
                        path,
                        body,
                        content_type=content_type,
                        headers={
                            "X-Closeloop-Key": key,
                            "X-Closeloop-Timestamp": "1",
                            "X-Closeloop-Signature": "sha256=00",
                        },
                    )
                    assert 400 <= response.status_code < 500, (path, body, response.content)
                    if response["Content-Type"].startswith("application/json"):
                        assert response.json()["code"]
        assert 400 <= client.get(path).status_code < 500, path
    assert not InboundMessage.objects.exists()
