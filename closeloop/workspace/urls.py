"""The agent workspace at /agent/: the inbox and team pages, the ticket page, live chat."""

from django.urls import include, path

app_name = "workspace"

urlpatterns = [
    path("", include("closeloop.workspace.urls_inbox")),
    path("", include("closeloop.workspace.urls_ticket")),
    path("", include("closeloop.workspace.urls_chat")),
    path("", include("closeloop.workspace.urls_people")),
    path("", include("closeloop.workspace.urls_quality")),
]
