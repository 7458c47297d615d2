"""Who may use the workspace: signed-in agents and administrators, nobody else."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from closeloop.core.errors import PermissionDenied
from closeloop.people.access import Requester, requester_for

LOGIN_URL = "/agent/login/"

View = Callable[..., HttpResponse]


def workspace_view(view: View) -> View:
    """Run ``view(request, requester, …)`` for an agent or administrator; send anyone not
    signed in to the sign-in page and refuse signed-in users who are not staff (403)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), LOGIN_URL)
        try:
            requester = requester_for(request.user)
        except PermissionDenied:
            return render(request, "workspace/forbidden.html", status=403)
        return view(request, requester, *args, **kwargs)

    return wrapper


__all__ = ["LOGIN_URL", "Requester", "workspace_view"]
