"""A stand-in for WeChat's API servers (api.weixin.qq.com) on loopback, for the tests.

It speaks WeChat's real formats over real HTTP: ``GET /cgi-bin/token`` answers
``{"access_token", "expires_in": 7200}`` or ``{"errcode", "errmsg"}``; ``POST
/cgi-bin/message/custom/send?access_token=…`` checks the token and the JSON and answers
``{"errcode": 0, "errmsg": "ok"}`` or WeChat's error codes. It records every request, and a
test can expire the tokens it gave out or queue error answers.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40013: "invalid appid",
    40125: "invalid appsecret",
    42001: "access_token expired",
    44002: "empty post data",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    47001: "data format error",
}


@dataclass
class Received:
    """One request the fake got."""

    method: str
    path: str
    query: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeWeChat:
    """WeChat's API for one official account (``app_id``/``secret``)."""

    app_id: str
    secret: str
    requests: list[Received] = field(default_factory=list)
    valid_tokens: set[str] = field(default_factory=set)
    expired_tokens: set[str] = field(default_factory=set)
    # Errcodes to answer the next calls to a path with, one per call.
    queued_errors: dict[str, deque[int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    # --- control --------------------------------------------------------------------------
    def start(self) -> FakeWeChat:
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def expire_tokens(self) -> None:
        """Every token given out so far is now expired (WeChat answers 42001)."""
        with self.lock:
            self.expired_tokens |= self.valid_tokens
            self.valid_tokens = set()

    def fail_next(self, path: str, *errcodes: int) -> None:
        """Answer the next calls to ``path`` with these errcodes, in order."""
        with self.lock:
            self.queued_errors.setdefault(path, deque()).extend(errcodes)

    def calls(self, path: str) -> list[Received]:
        with self.lock:
            return [request for request in self.requests if request.path == path]

    # --- the API --------------------------------------------------------------------------
    def _queued(self, path: str) -> int | None:
        queue = self.queued_errors.get(path)
        return queue.popleft() if queue else None

    def answer(self, request: Received) -> dict[str, Any]:
        with self.lock:
            self.requests.append(request)
            queued = self._queued(request.path)
            if queued is not None:
                return _error(queued)
            if request.path == "/cgi-bin/token":
                return self._token(request)
            if request.path == "/cgi-bin/message/custom/send":
                return self._custom_send(request)
        return _error(-1)

    def _token(self, request: Received) -> dict[str, Any]:
        if request.method != "GET" or request.query.get("grant_type") != "client_credential":
            return _error(40002)
        if request.query.get("appid") != self.app_id:
            return _error(40013)
        if request.query.get("secret") != self.secret:
            return _error(40125)
        token = secrets.token_urlsafe(48)
        self.valid_tokens.add(token)
        return {"access_token": token, "expires_in": 7200}

    def _custom_send(self, request: Received) -> dict[str, Any]:
        token = request.query.get("access_token", "")
        if token in self.expired_tokens:
            return _error(42001)
        if token not in self.valid_tokens:
            return _error(40001)
        if not request.body:
            return _error(44002)
        try:
            payload = request.json()
        except ValueError:
            return _error(47001)
        if not isinstance(payload, dict) or not payload.get("touser"):
            return _error(40003)
        if payload.get("msgtype") != "text" or not isinstance(payload.get("text"), dict):
            return _error(47001)
        return {"errcode": 0, "errmsg": "ok"}


def _error(code: int) -> dict[str, Any]:
    return {"errcode": code, "errmsg": ERRMSG.get(code, "error")}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeWeChat

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        answer = self.fake.answer(Received(method, parts.path, query, body))
        data = json.dumps(answer).encode()
        # WeChat answers its errors with HTTP 200 too.
        self.send_response(200)
        self.send_header("Content-Type", "application/json; encoding=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet: the tests read ``requests`` instead."""


# --- what WeChat's servers push to an account's server address ---------------------------
def message_xml(**fields: str | int) -> bytes:
    """A push as WeChat writes it: ``<xml>`` with one element per field, text in CDATA."""
    parts = []
    for name, value in fields.items():
        text = str(value) if isinstance(value, int) else f"<![CDATA[{value}]]>"
        parts.append(f"<{name}>{text}</{name}>")
    return ("<xml>" + "".join(parts) + "</xml>").encode()


def plain_push(*, token: str, xml: bytes, timestamp: int, nonce: str = "") -> tuple[str, bytes]:
    """Query string and body of a plain-mode push."""
    from urllib.parse import urlencode

    from closeloop.channels.wechat.crypto import signature

    nonce = nonce or secrets.token_hex(5)
    stamp = str(timestamp)
    query = urlencode(
        {"signature": signature(token, stamp, nonce), "timestamp": stamp, "nonce": nonce}
    )
    return query, xml


def safe_push(
    *,
    token: str,
    encoding_aes_key: str,
    app_id: str,
    xml: bytes,
    timestamp: int,
    nonce: str = "",
    to_user: str = "gh_test",
) -> tuple[str, bytes]:
    """Query string and body of a safe-mode (AES) push, signed with ``msg_signature``."""
    from urllib.parse import urlencode

    from closeloop.channels.wechat.crypto import encrypt, signature

    nonce = nonce or secrets.token_hex(5)
    stamp = str(timestamp)
    encrypted = encrypt(encoding_aes_key=encoding_aes_key, app_id=app_id, xml=xml)
    query = urlencode(
        {
            "signature": signature(token, stamp, nonce),
            "timestamp": stamp,
            "nonce": nonce,
            "openid": "o-ignored",
            "encrypt_type": "aes",
            "msg_signature": signature(token, stamp, nonce, encrypted),
        }
    )
    body = (
        f"<xml><ToUserName><![CDATA[{to_user}]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    ).encode()
    return query, body
