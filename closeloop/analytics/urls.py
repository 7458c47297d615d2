"""Pages of the analytics app (mounted at /agent/analytics/ in closeloop/urls.py). Every name
starts with ``alerts`` so the workspace header marks the Alerts link as current."""

from django.urls import include, path

from closeloop.analytics import views

app_name = "analytics"

urlpatterns = [
    path("", include("closeloop.analytics.urls_dashboards")),
    path("", include("closeloop.analytics.urls_review")),
    path("", include("closeloop.analytics.urls_diagnosis")),
    path("alerts/", views.alerts_page, name="alerts"),
    path("alerts/<int:alert_id>/", views.alert_page, name="alerts-detail"),
    path("alerts/rules/", views.rules_page, name="alerts-rules"),
    path("alerts/rules/new/", views.rule_page, name="alerts-rule-new"),
    path("alerts/rules/<int:rule_id>/", views.rule_page, name="alerts-rule"),
    path("alerts/actions/", views.actions_page, name="alerts-actions"),
    path("alerts/actions/<int:action_id>/", views.action_page, name="alerts-action"),
    path(
        "alerts/actions/<int:action_id>/transition/",
        views.action_transition,
        name="alerts-action-transition",
    ),
]
