"""Who the portal visitor is: a customer signed in by link is kept in the session (not a
Django user), and the page language can be switched with ``?lang=``."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import rotate_token
from django.utils import translation

from closeloop.customers.models import Customer
from closeloop.portal.services import customer_current

SESSION_CUSTOMER = "portal_customer_id"
SESSION_EMAIL = "portal_email"
SESSION_VISITOR = "portal_visitor"
LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


def signed_in_customer(request: HttpRequest) -> Customer | None:
    """The signed-in customer, following merges; None when nobody is signed in."""
    if hasattr(request, "_portal_customer"):
        cached: Customer | None = request._portal_customer
        return cached
    customer_id = request.session.get(SESSION_CUSTOMER)
    customer = Customer.objects.filter(pk=customer_id).first() if customer_id else None
    if customer is not None:
        customer = customer_current(customer)
    request._portal_customer = customer  # type: ignore[attr-defined]
    return customer


def sign_in(request: HttpRequest, customer: Customer, email: str) -> None:
    """Keep the customer in a fresh session (a new key, so a planted one is worthless)."""
    request.session.cycle_key()
    rotate_token(request)
    request.session[SESSION_CUSTOMER] = customer.pk
    request.session[SESSION_EMAIL] = email
    request._portal_customer = customer  # type: ignore[attr-defined]


def sign_out(request: HttpRequest) -> None:
    """Forget the customer and everything else in the session."""
    request.session.flush()
    request._portal_customer = None  # type: ignore[attr-defined]


def visitor_key(request: HttpRequest) -> str:
    """A random id for this visitor, kept in their session: it ties their votes, views and
    bot conversation together and survives signing in. Never the session key itself, which
    is a credential and must not be written into other tables."""
    key = request.session.get(SESSION_VISITOR)
    if not key:
        key = secrets.token_urlsafe(24)
        request.session[SESSION_VISITOR] = key
    return str(key)


def new_nonce() -> str:
    """A one-time id for a rendered form: a second submit of it stores nothing new."""
    return secrets.token_urlsafe(18)


def remote_addr(request: HttpRequest) -> str:
    """The client's address: behind PORTAL_PROXY_HOPS trusted proxies, the X-Forwarded-For
    entry they appended (entries further left are the client's own claim)."""
    hops = int(settings.CLOSELOOP.get("PORTAL_PROXY_HOPS", 0))
    if hops > 0:
        forwarded = [
            part.strip()
            for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops][:64]
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def portal_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Honour ``?lang=en|zh-hans``: switch the page language and remember it in the cookie."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        wanted = str(request.GET.get("lang", "")).lower()
        if wanted in LANGUAGE_CODES:
            translation.activate(wanted)
            request.LANGUAGE_CODE = wanted
        response = view(request, *args, **kwargs)
        if wanted in LANGUAGE_CODES:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                wanted,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                secure=bool(getattr(settings, "SESSION_COOKIE_SECURE", False)),
            )
        return response

    return wrapper
