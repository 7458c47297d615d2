"""Workspace paths of the inbox pages (included by urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
