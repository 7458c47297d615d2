"""Analytics pages: dashboards (included by closeloop/analytics/urls.py). Every name starts
with ``dash`` so the workspace header marks the Analytics link as current."""

from django.urls import URLPattern, path

from closeloop.analytics import views_dashboards as views

urlpatterns: list[URLPattern] = [
    path("", views.overview, name="dash-overview"),
    path("journey/", views.journey, name="dash-journey"),
    path("teams/", views.teams, name="dash-teams"),
    path("sla/", views.sla, name="dash-sla"),
    path("surveys/", views.surveys, name="dash-surveys"),
    path("classification/", views.classification, name="dash-classification"),
    path("tickets/", views.tickets, name="dash-tickets"),
]
