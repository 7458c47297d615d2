"""WebSocket routes, joined into the ASGI application by ``closeloop/asgi.py``.

The visitor socket is embedded on customers' own sites, so its Origin is checked against the
widget's ``allowed_origins`` in the consumer (the widget key comes with the URL). The agent
socket is used by our own pages only: its Origin must be one of ``ALLOWED_HOSTS`` and the
user is read from the Django session cookie.
"""

from __future__ import annotations

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from closeloop.channels.chat.consumers import AgentConsumer, VisitorConsumer


def websocket_application() -> Any:
    """The ASGI application for ``websocket`` scopes."""
    return URLRouter(
        [
            path("ws/chat/", VisitorConsumer.as_asgi()),
            path(
                "ws/agent/",
                AllowedHostsOriginValidator(AuthMiddlewareStack(AgentConsumer.as_asgi())),
            ),
        ]
    )
