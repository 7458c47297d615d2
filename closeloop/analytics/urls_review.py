"""Analytics pages: review (included by closeloop/analytics/urls.py) — problems and the
monthly review."""

from django.urls import URLPattern, path

from closeloop.analytics import views_review as views

urlpatterns: list[URLPattern] = [
    path("review/problems/", views.problems_page, name="review-problems"),
    path("review/problems/new/", views.problem_new, name="review-problem-new"),
    path("review/problems/detect/", views.problems_detect_now, name="review-problems-detect"),
    path("review/problems/<int:problem_id>/", views.problem_page, name="review-problem"),
    path(
        "review/problems/<int:problem_id>/transition/",
        views.problem_transition,
        name="review-problem-transition",
    ),
    path("review/problems/<int:problem_id>/link/", views.problem_link, name="review-problem-link"),
    path(
        "review/problems/<int:problem_id>/unlink/<int:number>/",
        views.problem_unlink,
        name="review-problem-unlink",
    ),
    path(
        "review/problems/<int:problem_id>/actions/",
        views.problem_action,
        name="review-problem-action",
    ),
    path("review/monthly/", views.monthly_page, name="review-monthly"),
    path("review/monthly/<str:fmt>/", views.monthly_file, name="review-monthly-file"),
]
