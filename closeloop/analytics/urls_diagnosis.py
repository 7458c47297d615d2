"""Analytics pages: diagnosis (included by closeloop/analytics/urls.py). The name starts with
``dash`` so the workspace header marks the Analytics link as current."""

from django.urls import URLPattern, path

from closeloop.analytics.views_diagnosis import diagnosis_page

urlpatterns: list[URLPattern] = [
    path("diagnosis/", diagnosis_page, name="dash-diagnosis"),
]
