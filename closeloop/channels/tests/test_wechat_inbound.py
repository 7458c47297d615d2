"""The WeChat server address: verification, plain and safe-mode pushes, dedupe, hostile XML."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.test import Client

from closeloop.channels.models import InboundMessage, InboundStatus, WeChatAccount
from closeloop.channels.tests.fake_wechat import message_xml, plain_push, safe_push
from closeloop.channels.wechat.crypto import signature
from closeloop.core import clock
from closeloop.customers.models import Identity
from closeloop.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db

APP_ID = "wx1234567890abcdef"
TOKEN = "closeloop-token"
AES_KEY = base64.b64encode(bytes(range(32))).decode()[:-1]
OPENID = "oUser-1234567890"
PATH = f"/api/v1/channels/wechat/{APP_ID}"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    """WeChat's CreateTime and timestamps, and our clock, at one fixed instant."""
    with clock.frozen_at(T0):
        yield


@pytest.fixture
def account() -> WeChatAccount:
    return WeChatAccount.objects.create(
        name="Shop",
        app_id=APP_ID,
        app_secret="secret",
        original_id="gh_test",
        token=TOKEN,
        encoding_aes_key=AES_KEY,
    )


def now_seconds() -> int:
    return int(clock.now().timestamp())


def fields(msg_type: str, msg_id: int | None = 1001, **extra: str | int) -> dict[str, str | int]:
    base: dict[str, str | int] = {
        "ToUserName": "gh_test",
        "FromUserName": OPENID,
        "CreateTime": now_seconds(),
        "MsgType": msg_type,
    }
    base.update(extra)
    if msg_id is not None:
        base["MsgId"] = msg_id
    return base


def push(xml: bytes, *, mode: str = "plain", app_id: str = APP_ID, token: str = TOKEN):  # noqa: ANN201
    if mode == "plain":
        query, body = plain_push(token=token, xml=xml, timestamp=now_seconds())
    else:
        query, body = safe_push(
            token=token,
            encoding_aes_key=AES_KEY,
            app_id=app_id,
            xml=xml,
            timestamp=now_seconds(),
        )
    return Client().post(f"{PATH}?{query}", body, content_type="text/xml")


def push_and_process(django_capture_on_commit_callbacks, xml: bytes, *, mode: str = "plain"):  # noqa: ANN001, ANN201
    with django_capture_on_commit_callbacks(execute=True):
        response = push(xml, mode=mode)
    assert response.status_code == 200, response.content
    assert response.content == b"success"
    call_command("worker", "--once")
    return response


# --- GET verification -----------------------------------------------------------------------


def test_verification_echoes_echostr_when_signed(account):
    stamp, nonce = str(now_seconds()), "n0nce"
    query = urlencode(
        {
            "signature": signature(TOKEN, stamp, nonce),
            "timestamp": stamp,
            "nonce": nonce,
            "echostr": "7311562471296582547",
        }
    )
    response = Client().get(f"{PATH}?{query}")
    assert response.status_code == 200
    assert response.content == b"7311562471296582547"
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize(
    "change",
    [
        {"signature": "0" * 40},
        {"timestamp": "1"},  # stale: a captured verification replayed much later
        {"signature": ""},
    ],
)
def test_verification_refuses_a_bad_signature(account, change):
    stamp, nonce = str(now_seconds()), "n0nce"
    params = {
        "signature": signature(TOKEN, stamp, nonce),
        "timestamp": stamp,
        "nonce": nonce,
        "echostr": "42",
    }
    response = Client().get(f"{PATH}?{urlencode({**params, **change})}")
    assert response.status_code == 403
    assert response.json()["code"] == "invalid_signature"


def test_unknown_account_is_404(account):
    response = Client().get(f"/api/v1/channels/wechat/wxnobody?{urlencode({'echostr': 'x'})}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- each message type, plain and safe mode, end to end --------------------------------------

CASES = [
    ("text", {"Content": "我的订单还没到 Order 8812"}, "我的订单还没到 Order 8812", {}),
    (
        "image",
        {"PicUrl": "http://mmbiz.qpic.cn/abc", "MediaId": "media-img"},
        "[image]",
        {"image": {"pic_url": "http://mmbiz.qpic.cn/abc", "media_id": "media-img"}},
    ),
    (
        "voice",
        {"MediaId": "media-voice", "Format": "amr", "Recognition": "电池坏了"},
        "电池坏了",
        {"voice": {"media_id": "media-voice", "format": "amr", "recognition": "电池坏了"}},
    ),
    (
        "location",
        {"Location_X": "23.134521", "Location_Y": "113.358803", "Scale": "20", "Label": "广州"},
        "[location] 广州 (23.134521, 113.358803)",
        {
            "location": {
                "latitude": "23.134521",
                "longitude": "113.358803",
                "scale": "20",
                "label": "广州",
            }
        },
    ),
    (
        "link",
        {"Title": "Manual", "Description": "X2 manual", "Url": "https://example.com/x2"},
        "[link] Manual\nX2 manual\nhttps://example.com/x2",
        {"link": {"title": "Manual", "description": "X2 manual", "url": "https://example.com/x2"}},
    ),
]


@pytest.mark.parametrize("mode", ["plain", "aes"])
@pytest.mark.parametrize(("msg_type", "extra", "body", "facts"), CASES, ids=[c[0] for c in CASES])
def test_message_becomes_a_ticket(
    account, django_capture_on_commit_callbacks, mode, msg_type, extra, body, facts
):
    xml = message_xml(**fields(msg_type, msg_id=6054768590064713728, **extra))
    push_and_process(django_capture_on_commit_callbacks, xml, mode=mode)

    inbound = InboundMessage.objects.get()
    assert (inbound.channel, inbound.external_id) == ("wechat", "6054768590064713728")
    assert bytes(inbound.raw) == xml  # the decrypted XML, as WeChat wrote it
    assert inbound.meta == {
        "app_id": APP_ID,
        "openid": OPENID,
        "msg_type": msg_type,
        "event": "",
        "created": now_seconds(),
    }
    assert inbound.status == InboundStatus.PROCESSED
    ticket = Ticket.objects.get()
    message = Message.objects.get()
    assert (ticket.channel, message.channel, message.body) == ("wechat", "wechat", body)
    assert message.external_id == "6054768590064713728"
    assert message.meta == {
        "app_id": APP_ID,
        "openid": OPENID,
        "msg_type": msg_type,
        "msg_id": "6054768590064713728",
        **facts,
    }
    identity = Identity.objects.get(customer=ticket.customer)
    assert (identity.kind, identity.value) == ("wechat", OPENID)


def test_voice_without_recognition_reads_voice(account, django_capture_on_commit_callbacks):
    xml = message_xml(**fields("voice", MediaId="m1", Format="speex"))
    push_and_process(django_capture_on_commit_callbacks, xml)
    assert Message.objects.get().body == "[voice]"


def test_second_message_threads_onto_the_open_ticket(account, django_capture_on_commit_callbacks):
    push_and_process(
        django_capture_on_commit_callbacks,
        message_xml(**fields("text", msg_id=1, Content="hello")),
    )
    push_and_process(
        django_capture_on_commit_callbacks,
        message_xml(**fields("text", msg_id=2, Content="are you there?")),
    )
    assert Ticket.objects.count() == 1
    assert list(Message.objects.values_list("body", flat=True).order_by("id")) == [
        "hello",
        "are you there?",
    ]


# --- refusals -------------------------------------------------------------------------------


def test_plain_push_with_wrong_signature_is_refused(account):
    response = push(message_xml(**fields("text", Content="hi")), token="not-the-token")
    assert response.status_code == 403
    assert response.json()["code"] == "invalid_signature"
    assert not InboundMessage.objects.exists()


def test_safe_push_for_another_app_id_is_refused(account):
    response = push(message_xml(**fields("text", Content="hi")), mode="aes", app_id="wxother")
    assert response.status_code == 403
    assert response.json()["code"] == "invalid_signature"
    assert not InboundMessage.objects.exists()


def test_safe_push_with_bad_msg_signature_is_refused(account):
    query, body = safe_push(
        token=TOKEN,
        encoding_aes_key=AES_KEY,
        app_id=APP_ID,
        xml=message_xml(**fields("text", Content="hi")),
        timestamp=now_seconds(),
    )
    tampered = query.replace("msg_signature=", "msg_signature=0")
    response = Client().post(f"{PATH}?{tampered}", body, content_type="text/xml")
    assert response.status_code == 403
    assert response.json()["code"] == "invalid_signature"
    assert not InboundMessage.objects.exists()


def test_stale_push_is_refused(account):
    xml = message_xml(**fields("text", Content="hi"))
    query, body = plain_push(token=TOKEN, xml=xml, timestamp=now_seconds() - 3600)
    response = Client().post(f"{PATH}?{query}", body, content_type="text/xml")
    assert response.status_code == 403
    assert not InboundMessage.objects.exists()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<xml><ToUserName>gh_test</ToUserName><FromUserName>oX</FromUserName>
<CreateTime>1700000000</CreateTime><MsgType>text</MsgType><Content>&lol4;</Content>
<MsgId>77</MsgId></xml>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh_test</ToUserName><FromUserName>oX</FromUserName>
<CreateTime>1700000000</CreateTime><MsgType>text</MsgType><Content>&secret;</Content>
<MsgId>78</MsgId></xml>"""


@pytest.mark.parametrize("mode", ["plain", "aes"])
@pytest.mark.parametrize("xml", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["bomb", "external"])
def test_hostile_xml_is_refused_and_nothing_stored(account, mode, xml):
    response = push(xml, mode=mode)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_xml"
    assert not InboundMessage.objects.exists()


def test_xml_without_sender_is_refused(account):
    response = push(b"<xml><MsgType>text</MsgType><CreateTime>1</CreateTime></xml>")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_xml"
    assert not InboundMessage.objects.exists()


# --- retries, events, unknown types ---------------------------------------------------------


def test_wechats_three_retries_store_one_message(account, django_capture_on_commit_callbacks):
    xml = message_xml(**fields("text", msg_id=555, Content="where is my parcel"))
    for mode in ("aes", "aes", "aes", "aes"):  # the push and WeChat's three retries
        push_and_process(django_capture_on_commit_callbacks, xml, mode=mode)
    assert InboundMessage.objects.count() == 1
    assert Message.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_event_retries_dedupe_on_sender_and_create_time(account):
    xml = message_xml(**fields("event", msg_id=None, Event="subscribe"))
    for _attempt in range(3):
        assert push(xml, mode="aes").status_code == 200
    inbound = InboundMessage.objects.get()
    assert inbound.external_id == f"event:{OPENID}:{now_seconds()}:subscribe"
    assert inbound.meta["event"] == "subscribe"


@pytest.mark.parametrize("event", ["subscribe", "unsubscribe", "CLICK", "VIEW"])
def test_events_are_stored_but_open_no_ticket(account, django_capture_on_commit_callbacks, event):
    xml = message_xml(**fields("event", msg_id=None, Event=event, EventKey="MENU_ORDERS"))
    push_and_process(django_capture_on_commit_callbacks, xml, mode="aes")
    inbound = InboundMessage.objects.get()
    assert inbound.status == InboundStatus.IGNORED
    assert inbound.error == f"event {event}"
    assert (inbound.meta["msg_type"], inbound.meta["event"]) == ("event", event)
    assert not Ticket.objects.exists()


def test_unknown_type_is_stored_and_ignored(account, django_capture_on_commit_callbacks):
    xml = message_xml(**fields("miniprogrampage", msg_id=9, Title="Shop"))
    push_and_process(django_capture_on_commit_callbacks, xml)
    inbound = InboundMessage.objects.get()
    assert inbound.status == InboundStatus.IGNORED
    assert "miniprogrampage" in inbound.error
    assert not Ticket.objects.exists()
