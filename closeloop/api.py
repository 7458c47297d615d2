"""The HTTP API at /api/v1/: one NinjaAPI, its auth, and the one place errors become JSON."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer, SessionAuth

from closeloop.analytics.api import router as analytics_router
from closeloop.analytics.api_diagnosis import router as diagnosis_router
from closeloop.analytics.api_metrics import router as metrics_router
from closeloop.channels.api import router as channels_router
from closeloop.core.errors import CloseloopError
from closeloop.core.tokens import api_token_user
from closeloop.customers.api import router as customers_router
from closeloop.feedback.api import router as feedback_router
from closeloop.knowledge.api import router as knowledge_router
from closeloop.knowledge.bot.api import router as bot_router
from closeloop.people.api import router as people_router
from closeloop.quality.api import router as quality_router
from closeloop.tickets.api import router as tickets_router
from closeloop.triage.api import router as triage_router

logger = logging.getLogger(__name__)


class BearerTokenAuth(HttpBearer):
    """``Authorization: Bearer cl_…`` with a token from ``closeloop token create``."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_user(token)
        if user is not None:
            request.user = user
        return user


class Utf8JSONRenderer(JSONRenderer):
    """JSON with Chinese (and every other script) as characters, not \\u escapes."""

    json_dumps_params: Mapping[str, Any] = {"ensure_ascii": False}


api = NinjaAPI(
    title="Closeloop API",
    version="1",
    description="Tickets, customers and the closed-loop lifecycle. Token auth: "
    "`Authorization: Bearer <token>` (create one with `closeloop token create --user NAME`). "
    'Errors are JSON `{"code", "message", "details"?}` with a stable `code`.',
    auth=[BearerTokenAuth(), SessionAuth()],
    urls_namespace="api-v1",
    renderer=Utf8JSONRenderer(),
)
api.add_router("/tickets", tickets_router)
api.add_router("/customers", customers_router)
api.add_router("/channels", channels_router)
api.add_router("/triage", triage_router)
api.add_router("/bot", bot_router)
api.add_router("/knowledge", knowledge_router)
# /feedback (POST = the in-app feedback button) and /feedback/surveys/… for surveys.
api.add_router("/feedback", feedback_router)
api.add_router("/quality", quality_router)
# /analytics/alert-rules, /analytics/alerts, /analytics/corrective-actions, /analytics/…
api.add_router("/analytics", analytics_router)
api.add_router("/metrics", metrics_router)
api.add_router("/analytics/diagnosis", diagnosis_router)
api.add_router("/people", people_router)


def _error(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return api.create_response(request, body, status=status)


@api.exception_handler(CloseloopError)
def _closeloop_error(request: HttpRequest, exc: CloseloopError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.http_status)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {key: value for key, value in error.items() if key in ("type", "loc", "msg")}
        for error in exc.errors
    ]
    return _error(
        request, 422, "validation_error", _("The request has invalid fields."), {"errors": errors}
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(
        request,
        401,
        "unauthorized",
        _("Authentication required: send Authorization: Bearer <token>."),
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    codes = {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        413: "payload_too_large",
        429: "throttled",
    }
    return _error(request, exc.status_code, codes.get(exc.status_code, "http_error"), str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(ObjectDoesNotExist)
def _object_missing(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 413, "payload_too_large", _("The request body is too large."))


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Unhandled error in %s %s", request.method, request.path)
    return _error(
        request, 500, "internal_error", _("Something went wrong on our side; nothing was changed.")
    )
