"""Workspace paths of the ticket pages (included by urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
