"""ASGI entry point (uvicorn); Channels' WebSocket routes join here with the chat issue."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "closeloop.settings")

application = get_asgi_application()
