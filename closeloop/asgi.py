"""ASGI entry point (uvicorn): HTTP goes to Django, WebSockets to the chat and agent sockets
(``closeloop.channels.chat.routing``)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "closeloop.settings")

# Django must be set up before the consumers (and their models) are imported.
django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from closeloop.channels.chat.routing import websocket_application  # noqa: E402

application = ProtocolTypeRouter({"http": django_application, "websocket": websocket_application()})
