"""URL map: / landing (the portal arrives later), /admin/, /api/v1/, the chat widget script
and its demo page (the chat's WebSocket routes are in ``closeloop/asgi.py``)."""

from django.contrib import admin
from django.urls import path
from django.views.generic import TemplateView

from closeloop.api import api
from closeloop.channels.chat import views as chat_views

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("chat/widget.js", chat_views.widget_js, name="chat-widget-js"),
    path("chat/demo/", chat_views.demo, name="chat-demo"),
]
