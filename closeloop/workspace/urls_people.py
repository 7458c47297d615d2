"""Workspace paths of the people pages (included by urls.py)."""

from django.urls import path

from closeloop.workspace.views import people

urlpatterns = [
    path("people/", people.mine, name="people-me"),
    path("people/team/", people.team, name="people-team"),
]
