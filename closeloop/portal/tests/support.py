"""Shared pieces of the portal tests: articles, a signed-in client, portal tickets, and a
fake "shop order system" (a real HTTP server on loopback that checks an auth header)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.test import Client

from closeloop.customers.models import Customer
from closeloop.customers.services import customer_identify
from closeloop.knowledge.models import Article
from closeloop.knowledge.services import article_create
from closeloop.portal.session import SESSION_CUSTOMER, SESSION_EMAIL
from closeloop.triage.models import Category


def make_article(
    title: str = "How to return an item",
    body: str = "Open **My orders** and choose *Return*. Refunds take 3 to 5 days.",
    *,
    language: str = "en",
    status: str = "published",
    visibility: str = "public",
    category_code: str | None = None,
    **fields: Any,
) -> Article:
    """An article written through the knowledge service (rendered, versioned, indexed)."""
    category = Category.objects.get(code=category_code) if category_code else None
    return article_create(
        actor=None,
        title=title,
        body=body,
        language=language,
        status=status,
        visibility=visibility,
        category=category,
        **fields,
    )


def signed_in_client(email: str = "alice@example.com") -> tuple[Client, Customer]:
    """A test client whose session holds the customer owning ``email``."""
    customer = customer_identify(email=email)
    client = Client()
    session = client.session
    session[SESSION_CUSTOMER] = customer.pk
    session[SESSION_EMAIL] = email
    session.save()
    return client, customer


def form_nonce(html: str) -> str:
    """The one-time nonce rendered in a form."""
    marker = 'name="nonce" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


@dataclass
class FakeOrderSystem:
    """What the fake order system knows and saw."""

    orders: dict[str, Any] = field(default_factory=dict)
    token: str = "Bearer shop-secret"
    status_override: int | None = None
    raw_override: bytes | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/orders/{{order_number}}"


@contextmanager
def fake_order_system(**options: Any) -> Iterator[FakeOrderSystem]:
    """A JSON order API on loopback: ``GET /api/orders/<number>`` with ``Authorization``."""
    state = FakeOrderSystem(**options)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def do_GET(self) -> None:  # noqa: N802
            state.requests.append({"path": self.path, "headers": dict(self.headers)})
            if state.status_override is not None:
                self._send(state.status_override, b'{"error": "boom"}')
                return
            if self.headers.get("Authorization") != state.token:
                self._send(401, b'{"error": "unauthorised"}')
                return
            number = self.path.rsplit("/", 1)[-1]
            if state.raw_override is not None:
                self._send(200, state.raw_override)
                return
            order = state.orders.get(number)
            if order is None:
                self._send(404, b'{"error": "no such order"}')
                return
            self._send(200, json.dumps(order).encode())

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
