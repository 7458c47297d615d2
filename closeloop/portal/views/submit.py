"""Submitting a request: the form, and the confirmation page with the ticket number. The
form goes through the channel pipeline (the portal adapter), keyed by a one-time nonce."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from closeloop.channels.models import InboundStatus
from closeloop.knowledge.bot.portal import bot_portal_attach_ticket
from closeloop.portal import selectors
from closeloop.portal.forms import (
    RequestForm,
    max_attachment_bytes,
    max_upload_bytes,
    read_files,
)
from closeloop.portal.payload import AfterSalesIn, PortalSubmission, files_encode
from closeloop.portal.services import portal_submit
from closeloop.portal.session import (
    SESSION_EMAIL,
    new_nonce,
    portal_page,
    remote_addr,
    signed_in_customer,
    visitor_key,
)
from closeloop.portal.views.articles import SESSION_BOT

SESSION_SUBMITTED = "portal_submitted"


def _request_types(language: str) -> list[tuple[str, list[tuple[str, str]]]]:
    return [(group.name, group.choices) for group in selectors.request_type_groups(language)]


def _type_name(code: str, groups: list[tuple[str, list[tuple[str, str]]]]) -> str:
    for _family, choices in groups:
        for value, name in choices:
            if value == code:
                return name
    return ""


def _limits() -> dict[str, Any]:
    return {"max_file_bytes": max_attachment_bytes(), "max_total_bytes": max_upload_bytes()}


@require_http_methods(["GET", "POST"])
@portal_page
def request_new(request: HttpRequest) -> HttpResponse:
    """The request form; a valid one is stored and processed, then the confirmation."""
    language = get_language() or "en"
    customer = signed_in_customer(request)
    groups = _request_types(language)
    bot = request.session.get(SESSION_BOT) or {}
    from_bot = request.GET.get("from") == "bot" or request.POST.get("from_bot") == "1"
    if request.method == "POST":
        form = RequestForm(
            request.POST, request.FILES, signed_in=customer is not None, request_types=groups
        )
        if form.is_valid():
            return _submit(request, form, groups=groups, language=language, from_bot=from_bot)
        status = 400
    else:
        initial: dict[str, Any] = {"nonce": new_nonce()}
        kind = request.GET.get("kind", "")
        if kind in {"question", "problem", "after_sales", "feedback", "complaint"}:
            initial["kind"] = kind
        if from_bot and bot.get("questions"):
            questions = [str(q) for q in bot["questions"]]
            initial["subject"] = questions[0][:300]
            initial["description"] = "\n".join(questions)
        form = RequestForm(initial=initial, signed_in=customer is not None, request_types=groups)
        status = 200
    return render(
        request,
        "portal/request_new.html",
        {
            "form": form,
            "customer": customer,
            "signed_in_email": request.session.get(SESSION_EMAIL, ""),
            "from_bot": from_bot,
            **_limits(),
        },
        status=status,
    )


def _submit(
    request: HttpRequest,
    form: RequestForm,
    *,
    groups: list[tuple[str, list[tuple[str, str]]]],
    language: str,
    from_bot: bool,
) -> HttpResponse:
    data = form.cleaned_data
    customer = signed_in_customer(request)
    email = request.session.get(SESSION_EMAIL) if customer is not None else data["email"]
    after_sales = None
    if data["kind"] == "after_sales":
        amount = data.get("amount")
        after_sales = AfterSalesIn(
            type=data["after_sales_type"],
            order_number=data["order_number"],
            item=data.get("item", ""),
            reason=data.get("reason", ""),
            preferred_resolution=data.get("preferred_resolution", ""),
            amount=f"{amount:.2f}"
            if amount is not None and data["after_sales_type"] == "refund"
            else "",
        )
    submission = PortalSubmission(
        type="request",
        email=email,
        name=data.get("name", ""),
        language=language,
        subject=data["subject"],
        description=data["description"],
        request_type=data.get("request_type", ""),
        request_type_name=_type_name(data.get("request_type", ""), groups),
        kind=data["kind"],
        after_sales=after_sales,
        files=files_encode(read_files(data.get("attachments") or [])),
    )
    inbound = portal_submit(
        submission=submission, nonce=data["nonce"], remote_addr=remote_addr(request)
    )
    if inbound.status == InboundStatus.FAILED:
        return render(
            request,
            "portal/message.html",
            {
                "title": _("Your request could not be saved"),
                "text": _("Please check what you typed and try again."),
            },
            status=400,
        )
    ticket = inbound.ticket
    if ticket is not None and from_bot:
        bot_portal_attach_ticket(session_key=visitor_key(request), ticket=ticket)
        request.session.pop(SESSION_BOT, None)
    request.session[SESSION_SUBMITTED] = {
        "number": ticket.number if ticket is not None else None,
        "email": email or "",
    }
    return redirect(reverse("portal:request_sent"))


@require_http_methods(["GET"])
@portal_page
def request_sent(request: HttpRequest) -> HttpResponse:
    """The confirmation: the ticket number, and how to follow it."""
    submitted = request.session.get(SESSION_SUBMITTED)
    if not submitted:
        return redirect(reverse("portal:request_new"))
    return render(
        request,
        "portal/request_sent.html",
        {
            "number": submitted.get("number"),
            "email": submitted.get("email", ""),
            "customer": signed_in_customer(request),
        },
    )
