"""Pages of the feedback app (mounted at /survey/ in closeloop/urls.py)."""

from django.urls import path

from closeloop.feedback import views

app_name = "feedback"

urlpatterns = [
    path("<str:token>/", views.survey_page, name="survey"),
    path("<str:token>/<int:score>/", views.survey_one_click, name="survey_score"),
]
