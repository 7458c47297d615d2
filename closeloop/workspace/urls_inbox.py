"""Workspace paths of the inbox pages (included by urls.py)."""

from django.urls import path

from closeloop.workspace.views import auth, inbox, lead

urlpatterns = [
    path("", inbox.inbox, name="inbox"),
    path("inbox/<slug:view>/", inbox.inbox, name="inbox-view"),
    path("inbox-bulk/", inbox.bulk, name="inbox-bulk"),
    path("login/", auth.sign_in, name="login"),
    path("logout/", auth.sign_out, name="logout"),
    path("availability/", auth.availability, name="availability"),
    path("team/", lead.team, name="team"),
    path("wall/", lead.wall_page, name="wall"),
]
