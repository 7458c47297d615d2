"""Workspace paths of the chat pages (included by urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
