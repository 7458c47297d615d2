"""Signing in and out of the workspace (rate-limited), and the availability switch."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from closeloop.core.errors import CloseloopError
from closeloop.people.models import Availability
from closeloop.people.services import agent_availability_set
from closeloop.portal.session import remote_addr
from closeloop.workspace.access import Requester, workspace_view
from closeloop.workspace.forms_inbox import AvailabilityForm
from closeloop.workspace.views.inbox import is_htmx

MAX_FAILURES = 10
WINDOW_SECONDS = 15 * 60


def _keys(request: HttpRequest, username: str) -> list[str]:
    # Hashed: the cache key never holds what was typed (it may be a mistyped password).
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return [f"workspace:signin:user:{name}", f"workspace:signin:addr:{remote_addr(request)}"]


def _is_locked(keys: list[str]) -> bool:
    return any((cache.get(key) or 0) >= MAX_FAILURES for key in keys)


def _count_failure(keys: list[str]) -> None:
    for key in keys:
        # add() starts the window at the first failure; incr() keeps its expiry.
        if not cache.add(key, 1, WINDOW_SECONDS):
            try:
                cache.incr(key)
            except ValueError:  # expired between add() and incr()
                cache.add(key, 1, WINDOW_SECONDS)


class SignInView(auth_views.LoginView):
    """Django's sign-in with our page; at most MAX_FAILURES failures per name and per client
    address in WINDOW_SECONDS (then 429 with a message, whatever the password)."""

    template_name = "workspace/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        """The inbox."""
        return reverse("workspace:inbox")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Refuse while locked; count a failure when the form is rejected."""
        keys = _keys(request, str(request.POST.get("username", "")))
        if _is_locked(keys):
            form = self.get_form()
            return render(
                request,
                self.template_name,
                {
                    "form": form,
                    "locked": True,
                    "minutes": WINDOW_SECONDS // 60,
                    "next": request.POST.get("next", ""),
                },
                status=429,
            )
        response = super().post(request, *args, **kwargs)
        if request.user.is_authenticated:
            cache.delete(keys[0])
        else:
            _count_failure(keys)
        return response


sign_in = SignInView.as_view()


class SignOutView(auth_views.LogoutView):
    """Sign out (POST only, as Django requires) and go back to the sign-in page."""

    http_method_names = ["post", "options"]

    def get_default_redirect_url(self) -> str:
        """The sign-in page."""
        return reverse("workspace:login")


sign_out = SignOutView.as_view()


@require_POST
@workspace_view
def availability(request: HttpRequest, requester: Requester) -> HttpResponse:
    """Set the signed-in agent's availability; htmx gets the switch back, others a redirect."""
    form = AvailabilityForm(request.POST)
    error = ""
    if requester.agent is None:
        error = _("This account has no agent profile.")
    elif not form.is_valid():
        error = " ".join(str(message) for message in form.errors.get("availability", []))
    else:
        try:
            agent_availability_set(
                agent=requester.agent,
                availability=form.cleaned_data["availability"],
                actor=requester.agent,
            )
        except CloseloopError as refused:
            error = refused.message
    status = 400 if error else 200
    if is_htmx(request) or error:
        context = {
            "agent": requester.agent,
            "availabilities": Availability.choices,
            "availability_error": error,
        }
        return render(request, "workspace/_availability.html", context, status=status)
    next_url = str(request.POST.get("next", ""))
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("workspace:inbox")
    return HttpResponseRedirect(next_url)
