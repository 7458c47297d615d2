"""WeChat's signatures, AES safe mode, XML reading and the reply-window rules, without a
database; hypothesis throws random and mutated payloads at the parsers."""

from __future__ import annotations

import base64
from contextlib import suppress
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from closeloop.channels.signing import InvalidSignature
from closeloop.channels.tests.fake_wechat import message_xml
from closeloop.channels.wechat.crypto import decrypt, encrypt, signature
from closeloop.channels.wechat.messages import InvalidXml, WeChatMessage, xml_fields
from closeloop.channels.wechat.window import Interaction, may_send

AES_KEY = base64.b64encode(bytes(range(32))).decode()[:-1]
APP_ID = "wx1234567890abcdef"
XML = message_xml(
    ToUserName="gh_test",
    FromUserName="oUser",
    CreateTime=1700000000,
    MsgType="text",
    Content="你好",
    MsgId=1234567890123456,
)
CLEAN_ERRORS = (InvalidSignature, InvalidXml)


def test_signature_is_sha1_of_the_sorted_parts():
    # The example of WeChat's documentation: token "token", timestamp, nonce.
    assert signature("token", "1409304348", "xxxxxx") == signature("xxxxxx", "token", "1409304348")
    assert signature("a", "b") == "da23614e02469a0d7c7bd1bdab5c9c474b1904dc"  # sha1("ab")


def test_encrypt_then_decrypt_round_trips_with_wechats_layout():
    prefix = b"R" * 16
    encrypted = encrypt(encoding_aes_key=AES_KEY, app_id=APP_ID, xml=XML, random_prefix=prefix)
    raw = base64.b64decode(encrypted)
    assert len(raw) % 32 == 0  # PKCS#7 to WeChat's 32-byte blocks
    assert decrypt(encoding_aes_key=AES_KEY, app_id=APP_ID, encrypted=encrypted) == XML


def test_decrypt_refuses_another_app_id():
    encrypted = encrypt(encoding_aes_key=AES_KEY, app_id="wxother", xml=XML)
    with pytest.raises(InvalidSignature, match="not meant for this account"):
        decrypt(encoding_aes_key=AES_KEY, app_id=APP_ID, encrypted=encrypted)


def test_decrypt_refuses_another_key():
    other_key = base64.b64encode(bytes(range(1, 33))).decode()[:-1]
    encrypted = encrypt(encoding_aes_key=other_key, app_id=APP_ID, xml=XML)
    with pytest.raises(InvalidSignature):
        decrypt(encoding_aes_key=AES_KEY, app_id=APP_ID, encrypted=encrypted)


def test_fields_of_a_message():
    message = WeChatMessage.from_xml(XML)
    assert (message.openid, message.msg_type, message.created) == ("oUser", "text", 1700000000)
    assert message.external_id == "1234567890123456"
    assert message.fields["Content"] == "你好"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not xml",
        b"<other><FromUserName>x</FromUserName></other>",
        b"<xml><FromUserName>x</FromUserName><MsgType>text</MsgType></xml>",  # no CreateTime
        b'<?xml version="1.0" encoding="x-unknown"?><xml/>',
        b"<!DOCTYPE xml><xml/>",
    ],
)
def test_unreadable_xml_is_a_clean_error(raw):
    with pytest.raises(InvalidXml):
        WeChatMessage.from_xml(raw)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_never_raise_anything_else(raw):
    with suppress(InvalidXml):
        WeChatMessage.from_xml(raw)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_xml_never_raises_anything_else(data):
    raw = bytearray(XML)
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(raw) - 1))
        raw[position] = data.draw(st.integers(0, 255))
    with suppress(InvalidXml):
        xml_fields(bytes(raw))
        WeChatMessage.from_xml(bytes(raw))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_random_encrypt_values_never_raise_anything_else(value):
    with pytest.raises(InvalidSignature):
        decrypt(encoding_aes_key=AES_KEY, app_id=APP_ID, encrypted=value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_ciphertext_never_raises_anything_else(data):
    raw = bytearray(base64.b64decode(encrypt(encoding_aes_key=AES_KEY, app_id=APP_ID, xml=XML)))
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(raw) - 1))
        raw[position] ^= data.draw(st.integers(1, 255))
    cut = data.draw(st.integers(0, len(raw)))
    mutated = base64.b64encode(bytes(raw[:cut])).decode()
    try:
        plain = decrypt(encoding_aes_key=AES_KEY, app_id=APP_ID, encrypted=mutated)
    except CLEAN_ERRORS:
        return
    with suppress(InvalidXml):  # a flip in an early block can still decrypt: parse it cleanly
        WeChatMessage.from_xml(plain)


# --- the reply window (pure) ----------------------------------------------------------------

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def message_at(at: datetime) -> Interaction:
    return Interaction(created=at, msg_type="text", event="")


def event_at(at: datetime, event: str) -> Interaction:
    return Interaction(created=at, msg_type="event", event=event)


def test_no_interaction_no_window():
    assert not may_send([], [], T0)


def test_message_allows_five_within_48_hours():
    sent = [T0 + timedelta(hours=hour) for hour in range(1, 5)]
    assert may_send([message_at(T0)], sent, T0 + timedelta(hours=47))
    assert not may_send([message_at(T0)], [*sent, T0 + timedelta(hours=5)], T0 + timedelta(hours=6))
    assert not may_send([message_at(T0)], [], T0 + timedelta(hours=48))


def test_messages_sent_before_an_interaction_do_not_count_against_it():
    sent = [T0 + timedelta(minutes=minute) for minute in range(1, 6)]
    later = T0 + timedelta(minutes=10)
    assert may_send([message_at(T0), message_at(later)], sent, later + timedelta(minutes=1))


@pytest.mark.parametrize("event", ["subscribe", "CLICK", "VIEW"])
def test_click_or_follow_allows_three_within_a_minute(event):
    grant = [event_at(T0, event)]
    two = [T0 + timedelta(seconds=5), T0 + timedelta(seconds=10)]
    assert may_send(grant, two, T0 + timedelta(seconds=20))
    assert not may_send(grant, [*two, T0 + timedelta(seconds=15)], T0 + timedelta(seconds=20))
    assert not may_send(grant, [], T0 + timedelta(seconds=60))


def test_unsubscribe_closes_earlier_windows_and_other_events_open_none():
    assert not may_send(
        [message_at(T0), event_at(T0 + timedelta(minutes=1), "unsubscribe")],
        [],
        T0 + timedelta(minutes=2),
    )
    assert not may_send([event_at(T0, "LOCATION")], [], T0 + timedelta(seconds=1))
    assert may_send(
        [event_at(T0, "unsubscribe"), event_at(T0 + timedelta(minutes=1), "subscribe")],
        [],
        T0 + timedelta(minutes=1, seconds=1),
    )
