"""The survey pages customers open from a link: ``/survey/<token>/`` (the question, a comment
and the follow-up question) and ``/survey/<token>/<score>/`` (one click records the score).

No sign-in: the signed token is the credential, so the form needs no CSRF cookie (a mail
client or the chat widget on another site posts it). The chat widget posts with
``Accept: application/json`` and reads a JSON answer (CORS: any origin, no credentials).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import override
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from closeloop.core.errors import CloseloopError, NotFound
from closeloop.feedback.errors import SurveyClosed, SurveyLinkExpired
from closeloop.feedback.invitations import scale_words
from closeloop.feedback.models import Invitation, InvitationStatus, Response
from closeloop.feedback.services import Answer, invitation_for_token, response_submit

LANGUAGES = ("en", "zh-hans")


def _language(request: HttpRequest, invitation: Invitation | None) -> str:
    asked = (request.GET.get("lang") or request.POST.get("lang") or "").lower()
    if asked.startswith("zh"):
        return "zh-hans"
    if asked == "en":
        return "en"
    if invitation is not None:
        return "zh-hans" if invitation.language.startswith("zh") else "en"
    return "zh-hans" if (request.LANGUAGE_CODE or "").startswith("zh") else "en"


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _problem(request: HttpRequest, error: CloseloopError) -> HttpResponse:
    """A clear page (or JSON for the widget) for a link that cannot be used; nothing written."""
    if _wants_json(request):
        return _cors(JsonResponse(error.as_dict(), status=error.http_status))
    kind = (
        "expired"
        if isinstance(error, SurveyLinkExpired)
        else "closed"
        if isinstance(error, SurveyClosed)
        else "missing"
        if isinstance(error, NotFound)
        else "invalid"
    )
    with override(_language(request, None)):
        return render(
            request, "feedback/link_problem.html", {"kind": kind}, status=error.http_status
        )


def _page(
    request: HttpRequest,
    invitation: Invitation,
    *,
    response: Response | None,
    thanks: bool,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    survey = invitation.survey
    language = _language(request, invitation)
    minimum, maximum = survey.scale
    chosen = response.score if response is not None else None
    with override(language):
        low, high = scale_words(survey.survey_type)
        context: dict[str, Any] = {
            "invitation": invitation,
            "survey": survey,
            "question": survey.question(language),
            "follow_up_question": survey.follow_up_question(language),
            "scores": list(range(minimum, maximum + 1)),
            "low_label": low,
            "high_label": high,
            "chosen": chosen,
            "response": response,
            "thanks": thanks,
            "error": error,
            "language": language,
            "other_language": "en" if language == "zh-hans" else "zh-hans",
        }
        return render(request, "feedback/survey.html", context, status=status)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def survey_page(request: HttpRequest, token: str) -> HttpResponse:
    """Show the survey (GET) or record the answer from its form (POST)."""
    try:
        invitation = invitation_for_token(token)
        if request.method == "GET":
            if invitation.status not in (
                InvitationStatus.SENT,
                InvitationStatus.BLOCKED,
                InvitationStatus.ANSWERED,
            ):
                raise SurveyClosed("closed")
            response = Response.objects.filter(invitation=invitation).first()
            return _page(request, invitation, response=response, thanks=False)
        answer = Answer(
            score=request.POST.get("score"),
            comment=request.POST.get("comment"),
            follow_up_answer=request.POST.get("follow_up_answer"),
        )
        try:
            response = response_submit(invitation=invitation, answer=answer)
        except CloseloopError as error:
            if _wants_json(request) or error.code != "invalid_input":
                raise
            existing = Response.objects.filter(invitation=invitation).first()
            return _page(
                request,
                invitation,
                response=existing,
                thanks=False,
                error=error.message,
                status=400,
            )
    except CloseloopError as error:
        return _problem(request, error)
    if _wants_json(request):
        return _cors(JsonResponse({"status": "recorded", "score": response.score}))
    return _page(request, invitation, response=response, thanks=True)


@csrf_exempt
@require_http_methods(["GET"])
def survey_one_click(request: HttpRequest, token: str, score: int) -> HttpResponse:
    """Record the score a mail link carries, then offer the comment box."""
    try:
        invitation = invitation_for_token(token)
        response = response_submit(invitation=invitation, answer=Answer(score=score))
    except CloseloopError as error:
        return _problem(request, error)
    return _page(request, invitation, response=response, thanks=True)
