"""The chat channel without sockets: visitor tokens, frame checks, the adapter, the script."""

from __future__ import annotations

import json
import re

import pytest

from closeloop.channels.chat.frames import VISITOR_TYPES, FrameError, frame_read
from closeloop.channels.chat.tokens import (
    InvalidVisitorToken,
    visitor_token_issue,
    visitor_token_read,
)


def test_a_visitor_token_proves_its_visitor_on_its_widget_only() -> None:
    token, visitor_id = visitor_token_issue(widget_key="ck_a")
    assert visitor_token_read(token, widget_key="ck_a") == visitor_id
    with pytest.raises(InvalidVisitorToken):
        visitor_token_read(token, widget_key="ck_b")
    with pytest.raises(InvalidVisitorToken):
        visitor_token_read(
            token.replace(token[5], "x" if token[5] != "x" else "y"), widget_key="ck_a"
        )
    with pytest.raises(InvalidVisitorToken):
        visitor_token_read("v_000000000000000000000000", widget_key="ck_a")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("{", "bad_json"),
        ('"hello"', "bad_frame"),
        ('{"kind": "hello"}', "bad_frame"),
        ('{"type": "subscribe"}', "unknown_type"),
        ('{"type": "message", "body": "' + "x" * 17000 + '"}', "frame_too_large"),
    ],
)
def test_unusable_frames_are_refused_with_a_stable_code(text: str, code: str) -> None:
    with pytest.raises(FrameError) as refused:
        frame_read(text, None, allowed=VISITOR_TYPES)
    assert refused.value.code == code
    assert refused.value.frame()["type"] == "error"


def test_a_frame_keeps_its_exact_bytes() -> None:
    text = '{"type":"message","client_id":"c1","body":"你好"}'
    frame = frame_read(text, None, allowed=VISITOR_TYPES)
    assert frame.raw == text.encode()
    assert frame.data["body"] == "你好"


def test_a_stored_frame_that_is_not_a_message_fails_without_a_ticket(db) -> None:  # noqa: ANN001
    from closeloop.channels.models import InboundStatus
    from closeloop.channels.pipeline import inbound_receive_now

    inbound = inbound_receive_now(
        channel="chat",
        external_id="v_1:c1",
        raw=json.dumps({"type": "typing"}).encode(),
        meta={"visitor_id": "v_1"},
    )
    assert inbound.status == InboundStatus.FAILED
    assert inbound.ticket_id is None


def test_the_widget_script_is_javascript_with_no_external_address(client) -> None:  # noqa: ANN001
    response = client.get("/chat/widget.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    source = response.content.decode()
    assert "/ws/chat/" in source
    assert re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", source, re.IGNORECASE) == []
    assert "客服" in source  # the Simplified Chinese texts ship with it


def test_the_demo_page_embeds_the_widget(db, client) -> None:  # noqa: ANN001
    from closeloop.channels.models import ChatWidget

    assert "No chat widget yet" in client.get("/chat/demo/").content.decode()
    widget = ChatWidget.objects.create(name="Demo")
    page = client.get("/chat/demo/", {"lang": "zh-hans"}).content.decode()
    assert f'<script src="/chat/widget.js" data-widget="{widget.key}" data-lang="zh-Hans">' in page
