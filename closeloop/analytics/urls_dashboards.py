"""Analytics pages: dashboards (included by closeloop/analytics/urls.py)."""

from django.urls import URLPattern, path  # noqa: F401

urlpatterns: list[URLPattern] = []
