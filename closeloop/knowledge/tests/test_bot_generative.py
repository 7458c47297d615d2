"""Generative phrasing against a fake OpenAI-compatible server on 127.0.0.1: a grounded answer
is used; a failure, a slow model or an answer that quotes nothing falls back to the article."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from closeloop.knowledge.bot.generative import API_KEY_VARIABLE, quotes_articles
from closeloop.knowledge.bot.portal import bot_portal_ask
from closeloop.knowledge.bot.store import clear_matcher_cache, matcher_train
from closeloop.knowledge.models import Article, BotSettings
from closeloop.knowledge.tests.bot_articles import make_articles

pytestmark = pytest.mark.django_db

QUOTING = (
    'According to "Reset your password": "Use the \'Forgot password\' link on the sign-in '
    'page; the link we email you is valid for 30 minutes."'
)


class FakeModel:
    """What the fake server answers, and what it was asked."""

    def __init__(self) -> None:
        self.mode = "quote"
        self.requests: list[dict[str, Any]] = []


@pytest.fixture
def fake_model() -> Iterator[tuple[FakeModel, str]]:
    state = FakeModel()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server interface
            length = int(self.headers.get("Content-Length", "0"))
            state.requests.append(
                {
                    "path": self.path,
                    "authorization": self.headers.get("Authorization", ""),
                    "body": json.loads(self.rfile.read(length)),
                }
            )
            if state.mode == "error":
                self.send_response(500)
                self.end_headers()
                return
            if state.mode == "slow":
                time.sleep(1.5)
            content = {"quote": QUOTING, "nothing": "Sure, just try again later!"}.get(
                state.mode, QUOTING
            )
            reply = {"choices": [{"message": {"role": "assistant", "content": content}}]}
            if state.mode == "garbage":
                reply = {"unexpected": True}
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def generative(fake_model, settings, monkeypatch):
    state, url = fake_model
    make_articles()
    matcher_train()
    BotSettings.objects.update_or_create(
        id=1,
        defaults={
            "generative_enabled": True,
            "generative_url": url,
            "generative_model": "tiny-model",
        },
    )
    settings.CLOSELOOP = {**settings.CLOSELOOP, "BOT_LLM_TIMEOUT_SECONDS": 0.5}
    monkeypatch.setenv(API_KEY_VARIABLE, "sk-test")
    clear_matcher_cache()
    yield state
    clear_matcher_cache()


def test_a_grounded_answer_is_sent_and_the_request_holds_only_the_articles(generative):
    reply = bot_portal_ask(session_key="g1", text="how do I reset my password", language="en")
    assert reply.kind == "answer"
    assert QUOTING in reply.text
    assert "/help/reset-password/" in reply.text  # the link is still given
    [request] = generative.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["authorization"] == "Bearer sk-test"
    body = request["body"]
    assert body["model"] == "tiny-model"
    assert "ONLY the help articles" in body["messages"][0]["content"]
    assert "## Reset your password" in body["messages"][1]["content"]
    assert "Question: how do I reset my password" in body["messages"][1]["content"]


@pytest.mark.parametrize("mode", ["error", "slow", "garbage", "nothing"])
def test_any_failure_falls_back_to_the_article(generative, mode):
    generative.mode = mode
    reply = bot_portal_ask(
        session_key=f"g-{mode}", text="how do I reset my password", language="en"
    )
    assert reply.kind == "answer"
    summary = Article.objects.get(slug="reset-password").summary
    assert summary in reply.text
    assert QUOTING not in reply.text
    assert len(generative.requests) == 1


def test_quoting_needs_a_run_of_the_articles_own_words():
    article = Article(
        title="申请发票", summary="在订单详情页点击申请发票", body="电子发票会发到您的邮箱。"
    )
    assert quotes_articles("您可以：在订单详情页点击申请发票。", [article])
    assert not quotes_articles("请联系我们。", [article])
    english = Article(title="Refunds", summary="Refunds go back to the original payment method.")
    english.body = ""
    assert quotes_articles('"Refunds go back to the original payment" method', [english])
    assert not quotes_articles("Refunds are possible.", [english])
