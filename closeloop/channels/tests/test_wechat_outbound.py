"""Agents' replies to WeChat users: the customer-service API, the token, the reply window."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.test import Client

from closeloop.channels.models import Delivery, DeliveryStatus, WeChatAccount
from closeloop.channels.tests.fake_wechat import FakeWeChat, message_xml, safe_push
from closeloop.core import clock
from closeloop.customers.services import customer_identify
from closeloop.tickets.models import EventType, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

APP_ID = "wx1234567890abcdef"
SECRET = "app-secret-42"
TOKEN = "closeloop-token"
AES_KEY = base64.b64encode(bytes(range(32))).decode()[:-1]
OPENID = "oUser-1234567890"
PATH = f"/api/v1/channels/wechat/{APP_ID}"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SEND = "/cgi-bin/message/custom/send"
TOKEN_PATH = "/cgi-bin/token"


@pytest.fixture
def fake() -> Iterator[FakeWeChat]:
    server = FakeWeChat(app_id=APP_ID, secret=SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def account(fake) -> WeChatAccount:
    return WeChatAccount.objects.create(
        name="Shop",
        app_id=APP_ID,
        app_secret=SECRET,
        token=TOKEN,
        encoding_aes_key=AES_KEY,
        api_base=fake.url,
    )


class Conversation:
    """A WeChat user and an agent, on one clock the test moves."""

    def __init__(self, api, capture) -> None:  # noqa: ANN001
        self.api = api
        self.capture = capture
        self.msg_id = 1000
        self.now = T0

    def at(self, when: datetime) -> None:
        self.now = when

    def user_sends(self, msg_type: str = "text", **extra: str) -> None:
        fields: dict[str, str | int] = {
            "ToUserName": "gh_test",
            "FromUserName": OPENID,
            "CreateTime": int(self.now.timestamp()),
            "MsgType": msg_type,
            **extra,
        }
        if msg_type != "event":
            self.msg_id += 1
            fields["MsgId"] = self.msg_id
        query, body = safe_push(
            token=TOKEN,
            encoding_aes_key=AES_KEY,
            app_id=APP_ID,
            xml=message_xml(**fields),
            timestamp=int(self.now.timestamp()),
        )
        with clock.frozen_at(self.now), self.capture(execute=True):
            response = Client().post(f"{PATH}?{query}", body, content_type="text/xml")
        assert response.content == b"success"
        with clock.frozen_at(self.now):
            call_command("worker", "--once")

    def agent_replies(self, body: str, *, via: str | None = None) -> Delivery:
        payload: dict[str, str] = {"body": body}
        if via:
            payload["via"] = via
        ticket = Ticket.objects.get()
        with clock.frozen_at(self.now), self.capture(execute=True):
            response = self.api.post(f"/api/v1/tickets/{ticket.pk}/messages", payload)
        assert response.status_code == 201, response.content
        if via is None:
            with clock.frozen_at(self.now):
                call_command("worker", "--once")
        return Delivery.objects.get(message_id=response.json()["id"])


@pytest.fixture
def chat(api, account, django_capture_on_commit_callbacks) -> Conversation:
    conversation = Conversation(api, django_capture_on_commit_callbacks)
    conversation.user_sends(Content="我的订单还没到")
    return conversation


def sent_payloads(fake: FakeWeChat) -> list[dict[str, object]]:
    return [request.json() for request in fake.calls(SEND)]


def test_reply_reaches_wechat_and_the_token_is_cached(chat, fake, account):
    chat.at(T0 + timedelta(minutes=3))
    first = chat.agent_replies("您好，我们正在查询。")
    chat.at(T0 + timedelta(minutes=5))
    second = chat.agent_replies("已发货，单号 SF123。")

    assert (first.status, second.status) == (DeliveryStatus.SENT, DeliveryStatus.SENT)
    assert (first.channel, first.recipient) == ("wechat", OPENID)
    assert sent_payloads(fake) == [
        {"touser": OPENID, "msgtype": "text", "text": {"content": "您好，我们正在查询。"}},
        {"touser": OPENID, "msgtype": "text", "text": {"content": "已发货，单号 SF123。"}},
    ]
    token_calls = fake.calls(TOKEN_PATH)
    assert len(token_calls) == 1  # the second reply used the cached token
    assert token_calls[0].query == {
        "grant_type": "client_credential",
        "appid": APP_ID,
        "secret": SECRET,
    }
    account.refresh_from_db()
    assert {call.query["access_token"] for call in fake.calls(SEND)} == {account.access_token}
    assert account.access_token_expires_at == T0 + timedelta(minutes=3, seconds=7200)


def test_expired_token_is_refreshed_and_the_send_retried_once(chat, fake):
    chat.at(T0 + timedelta(minutes=1))
    chat.agent_replies("first")
    fake.expire_tokens()  # WeChat dropped it early (another system asked for a new one)
    chat.at(T0 + timedelta(minutes=2))
    delivery = chat.agent_replies("second")

    assert delivery.status == DeliveryStatus.SENT
    sends = fake.calls(SEND)
    assert [call.json()["text"]["content"] for call in sends] == ["first", "second", "second"]
    assert len(fake.calls(TOKEN_PATH)) == 2
    assert sends[1].query["access_token"] != sends[2].query["access_token"]


def test_token_is_refreshed_ahead_of_its_expiry(chat, fake):
    chat.agent_replies("first")
    chat.at(T0 + timedelta(seconds=7200 - 240))  # four minutes left: too close
    chat.user_sends(Content="still there?")
    chat.agent_replies("yes")
    assert len(fake.calls(TOKEN_PATH)) == 2
    assert len(fake.calls(SEND)) == 2  # no send was refused for an expired token


def test_sixth_reply_within_48_hours_is_blocked_with_alternatives(chat, fake, api):
    customer_identify(wechat_openid=OPENID, email="li.lei@example.com", phone="13812345678")
    for hour in range(1, 6):
        chat.at(T0 + timedelta(hours=hour))
        assert chat.agent_replies(f"reply {hour}").status == DeliveryStatus.SENT

    chat.at(T0 + timedelta(hours=6))
    blocked = chat.agent_replies("reply 6")

    assert blocked.status == DeliveryStatus.BLOCKED
    assert len(fake.calls(SEND)) == 5
    alternatives = [
        {"channel": "email", "address": "li.lei@example.com"},
        {"channel": "sms", "address": "+8613812345678"},
    ]
    assert blocked.meta == {"alternatives": alternatives}
    event = TicketEvent.objects.get(type=EventType.DELIVERY_FAILED)
    assert event.after == {
        "message_id": blocked.message_id,
        "channel": "wechat",
        "blocked": True,
        "alternatives": alternatives,
    }
    assert "reply window" in event.reason
    shown = api.get(f"/api/v1/tickets/{Ticket.objects.get().pk}").json()["events"]
    assert [e["after"]["blocked"] for e in shown if e["type"] == "delivery_failed"] == [True]

    # The agent sends it again by text message, as the alternatives suggest.
    resent = chat.agent_replies("reply 6", via="sms")
    assert (resent.channel, resent.recipient) == ("sms", "+8613812345678")


def test_user_writing_again_gives_five_more(chat, fake):
    for minute in range(1, 6):
        chat.at(T0 + timedelta(minutes=minute))
        chat.agent_replies(f"reply {minute}")
    chat.at(T0 + timedelta(minutes=10))
    chat.user_sends(Content="one more question")
    chat.at(T0 + timedelta(minutes=11))
    assert chat.agent_replies("answer").status == DeliveryStatus.SENT
    assert len(fake.calls(SEND)) == 6


def test_reply_more_than_48_hours_later_is_blocked(chat, fake):
    chat.at(T0 + timedelta(hours=48, seconds=1))
    assert chat.agent_replies("sorry for the wait").status == DeliveryStatus.BLOCKED
    assert fake.calls(SEND) == []


def test_after_a_menu_click_the_fourth_message_in_a_minute_is_blocked(chat, fake):
    chat.at(T0 + timedelta(hours=72))  # the message's window is long closed
    chat.user_sends("event", Event="CLICK", EventKey="MENU_SUPPORT")
    statuses = []
    for second in (10, 20, 30, 40):
        chat.at(T0 + timedelta(hours=72, seconds=second))
        statuses.append(chat.agent_replies(f"click reply {second}").status)
    assert statuses == [DeliveryStatus.SENT] * 3 + [DeliveryStatus.BLOCKED]
    assert len(fake.calls(SEND)) == 3


def test_after_unsubscribe_nothing_is_sent(chat, fake):
    chat.at(T0 + timedelta(minutes=1))
    chat.user_sends("event", Event="unsubscribe")
    chat.at(T0 + timedelta(minutes=2))
    assert chat.agent_replies("hello?").status == DeliveryStatus.BLOCKED
    assert fake.calls(SEND) == []


@pytest.mark.parametrize(
    ("errcode", "status"),
    [
        (45015, DeliveryStatus.BLOCKED),  # WeChat's own count says the window is closed
        (45047, DeliveryStatus.BLOCKED),
        (-1, DeliveryStatus.PENDING),  # system busy: retried later
        (40003, DeliveryStatus.FAILED),  # invalid openid: never
    ],
)
def test_wechat_error_codes_decide_the_outcome(chat, fake, errcode, status):
    fake.fail_next(SEND, errcode)
    delivery = chat.agent_replies("hello")
    assert delivery.status == status
    assert str(errcode) in delivery.last_error
    if status == DeliveryStatus.PENDING:
        assert delivery.next_attempt_at == T0 + timedelta(minutes=1)
        assert not TicketEvent.objects.filter(type=EventType.DELIVERY_FAILED).exists()
    else:
        event = TicketEvent.objects.get(type=EventType.DELIVERY_FAILED)
        assert event.after["blocked"] is (status == DeliveryStatus.BLOCKED)


def test_unreachable_wechat_is_retried_later(chat, fake, account):
    fake.stop()
    delivery = chat.agent_replies("hello")
    assert delivery.status == DeliveryStatus.PENDING
    assert "unreachable" in delivery.last_error


def test_wrong_app_secret_fails_the_delivery(chat, fake, account):
    WeChatAccount.objects.filter(pk=account.pk).update(app_secret="wrong")
    delivery = chat.agent_replies("hello")
    assert delivery.status == DeliveryStatus.FAILED
    assert "40125" in delivery.last_error
    assert fake.calls(SEND) == []


def test_fake_answers_like_wechat(fake):
    import urllib.request

    with urllib.request.urlopen(f"{fake.url}{TOKEN_PATH}?grant_type=client_credential") as answer:  # noqa: S310
        assert json.loads(answer.read()) == {"errcode": 40013, "errmsg": "invalid appid"}
