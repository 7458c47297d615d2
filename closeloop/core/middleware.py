"""Request plumbing shared by every HTTP surface."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _


class RequestSizeLimitMiddleware:
    """Refuse bodies over CLOSELOOP['MAX_REQUEST_BYTES'] with 413 before anything reads them.

    A form with files (multipart) may carry up to CLOSELOOP['MAX_UPLOAD_REQUEST_BYTES']: the
    portal's request form takes attachments; Django still holds its text fields to
    DATA_UPLOAD_MAX_MEMORY_SIZE.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit: int = settings.CLOSELOOP["MAX_REQUEST_BYTES"]
        if request.content_type == "multipart/form-data":
            limit = max(limit, settings.CLOSELOOP["MAX_UPLOAD_REQUEST_BYTES"])
        raw_length = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw_length)
        except ValueError:
            return JsonResponse(
                {"code": "bad_request", "message": _("Content-Length is not a number.")},
                status=400,
            )
        if length > limit:
            return JsonResponse(
                {
                    "code": "payload_too_large",
                    "message": _("The request body is larger than %(limit)d bytes.")
                    % {"limit": limit},
                    "details": {"limit_bytes": limit, "content_length": length},
                },
                status=413,
            )
        return self.get_response(request)


class ApiJsonErrorsMiddleware:
    """Under /api/, turn the few errors Django answers in HTML or text into JSON with a code.

    django-ninja answers an unknown method with plain text and Django an unknown path with
    an HTML page; API clients get ``{"code", "message"}`` like every other error.
    """

    CODES = {404: "not_found", 405: "method_not_allowed"}

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        code = self.CODES.get(response.status_code)
        is_json = response.get("Content-Type", "").startswith("application/json")
        if code is None or is_json or not request.path.startswith("/api/"):
            return response
        messages = {
            "not_found": _("There is no such API endpoint."),
            "method_not_allowed": _("%(method)s is not allowed here.") % {"method": request.method},
        }
        replacement = JsonResponse(
            {"code": code, "message": messages[code]}, status=response.status_code
        )
        if response.has_header("Allow"):
            replacement["Allow"] = response["Allow"]
        return replacement
