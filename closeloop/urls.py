"""URL map: /admin/, /api/v1/, the chat widget script and its demo page (the chat's WebSocket
routes are in ``closeloop/asgi.py``), language switching, and the customer portal at /."""

from django.contrib import admin
from django.urls import include, path

from closeloop.api import api
from closeloop.channels.chat import views as chat_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("chat/widget.js", chat_views.widget_js, name="chat-widget-js"),
    path("chat/demo/", chat_views.demo, name="chat-demo"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("agent/analytics/", include("closeloop.analytics.urls")),
    path("agent/", include("closeloop.workspace.urls")),
    path("survey/", include("closeloop.feedback.urls")),
    # Last: the portal owns the rest of the site (/, /help/, /requests/, /tickets/ …).
    path("", include("closeloop.portal.urls")),
]
