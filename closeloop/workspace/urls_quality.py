"""Workspace paths of the quality pages (included by urls.py)."""

from django.urls import path

from closeloop.workspace.views import quality

urlpatterns = [
    path("quality/", quality.home, name="quality"),
    path("quality/reviews/<int:review_id>/", quality.review_page, name="quality-review"),
    path("quality/disputes/", quality.disputes, name="quality-disputes"),
    path("quality/calibrations/<int:session_id>/", quality.calibration, name="quality-calibration"),
    path("quality/scores/", quality.scores, name="quality-scores"),
    path("quality/plans/", quality.plans, name="quality-plans"),
]
