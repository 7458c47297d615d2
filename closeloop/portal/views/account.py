"""The signed-in customer: sign-in by one-time link, "my tickets", a ticket with its public
messages and history, replying, and confirming or rejecting a resolution."""

from __future__ import annotations

from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from closeloop.channels.models import InboundStatus
from closeloop.core.errors import CloseloopError
from closeloop.customers.models import Customer
from closeloop.knowledge.models import SelfServiceKind
from closeloop.portal import selectors
from closeloop.portal.forms import (
    ReopenForm,
    ReplyForm,
    SignInForm,
    max_attachment_bytes,
    max_upload_bytes,
    read_files,
)
from closeloop.portal.payload import PortalSubmission, files_encode
from closeloop.portal.services import (
    SignInLinkExpired,
    SignInLinkInvalid,
    TooManyRequests,
    portal_submit,
    self_service_record,
    signin_link_check,
    signin_link_redeem,
    signin_link_request,
)
from closeloop.portal.session import (
    SESSION_EMAIL,
    new_nonce,
    portal_page,
    remote_addr,
    sign_in,
    sign_out,
    signed_in_customer,
)
from closeloop.tickets.models import Attachment, Status, Ticket
from closeloop.tickets.services import Actor, ticket_confirm, ticket_reopen

SESSION_FOLLOWED = "portal_followed_tickets"
SESSION_NEXT = "portal_next"


def _safe_next(request: HttpRequest, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("portal:tickets")


def signed_in_required(view: Any) -> Any:
    """Send visitors who are not signed in to the sign-in page, and back afterwards."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        customer = signed_in_customer(request)
        if customer is None:
            return redirect(
                reverse("portal:signin") + "?" + urlencode({"next": request.get_full_path()})
            )
        return view(request, customer, *args, **kwargs)  # type: ignore[no-any-return]

    return wrapper


@require_http_methods(["GET", "POST"])
@portal_page
def signin(request: HttpRequest) -> HttpResponse:
    """Ask for a sign-in link; the answer is the same whether the address is known or not."""
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if request.method == "POST":
        form = SignInForm(request.POST)
        if form.is_valid():
            try:
                outcome = signin_link_request(
                    email=form.cleaned_data["email"],
                    remote_addr=remote_addr(request),
                    language=get_language() or "en",
                )
            except TooManyRequests as error:
                form.add_error("email", str(error.message))
                return render(
                    request, "portal/signin.html", {"form": form, "next": next_url}, status=429
                )
            request.session[SESSION_NEXT] = _safe_next(request, next_url)
            return render(
                request,
                "portal/signin_sent.html",
                {
                    "email": form.cleaned_data["email"],
                    "logged": outcome.logged and not settings.IS_PRODUCTION,
                },
            )
        return render(request, "portal/signin.html", {"form": form, "next": next_url}, status=400)
    return render(request, "portal/signin.html", {"form": SignInForm(), "next": next_url})


def _link_error(request: HttpRequest, error: CloseloopError) -> HttpResponse:
    return render(
        request,
        "portal/signin_failed.html",
        {"message": error.message, "code": error.code},
        status=error.http_status,
    )


@require_http_methods(["GET", "POST"])
@portal_page
def signin_token(request: HttpRequest, token: str) -> HttpResponse:
    """Open a sign-in link: a button confirms it (mail scanners that fetch links do not use
    it up); the POST uses it once, keeps the customer in a fresh session."""
    if request.method == "GET":
        try:
            row = signin_link_check(token=token)
        except (SignInLinkInvalid, SignInLinkExpired) as error:
            return _link_error(request, error)
        return render(request, "portal/signin_confirm.html", {"token": token, "email": row.email})
    try:
        customer, email = signin_link_redeem(token=token)
    except (SignInLinkInvalid, SignInLinkExpired) as error:
        return _link_error(request, error)
    next_url = request.session.get(SESSION_NEXT, "")
    sign_in(request, customer, email)
    return redirect(_safe_next(request, next_url))


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    """Forget the signed-in customer."""
    sign_out(request)
    return redirect(reverse("portal:home"))


@require_GET
@portal_page
@signed_in_required
def tickets(request: HttpRequest, customer: Customer) -> HttpResponse:
    """The customer's tickets from every channel."""
    rows = list(selectors.customer_tickets(customer)[:200])
    return render(
        request,
        "portal/tickets.html",
        {
            "tickets": rows,
            "badges": selectors.STATUS_BADGES,
            "email": request.session.get(SESSION_EMAIL, ""),
        },
    )


def _own_ticket(customer: Customer, number: int) -> Ticket:
    ticket = selectors.customer_ticket(customer, number)
    if ticket is None:
        raise Http404
    return ticket


def _ticket_page(
    request: HttpRequest,
    customer: Customer,
    ticket: Ticket,
    *,
    reply_form: ReplyForm | None = None,
    reopen_form: ReopenForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    followed: list[int] = list(request.session.get(SESSION_FOLLOWED, []))
    if ticket.pk not in followed:
        # Following a request up without calling anyone is a self-service success.
        request.session[SESSION_FOLLOWED] = [*followed, ticket.pk][-300:]
        self_service_record(
            kind=SelfServiceKind.TICKET_STATUS, customer=customer, reference=str(ticket.number)
        )
    return render(
        request,
        "portal/ticket.html",
        {
            "ticket": ticket,
            "badge": selectors.STATUS_BADGES.get(Status(ticket.status), ticket.status),
            "thread": selectors.ticket_public_messages(ticket),
            "history": selectors.ticket_history(ticket),
            "reply_form": reply_form or ReplyForm(initial={"nonce": new_nonce()}),
            "reopen_form": reopen_form or ReopenForm(),
            "is_resolved": ticket.status == Status.RESOLVED,
            "is_closed": ticket.status == Status.CLOSED,
            "error": error,
            "max_file_bytes": max_attachment_bytes(),
            "max_total_bytes": max_upload_bytes(),
        },
        status=status,
    )


@require_GET
@portal_page
@signed_in_required
def ticket_detail(request: HttpRequest, customer: Customer, number: int) -> HttpResponse:
    """One of the customer's tickets; anyone else's number is simply not found."""
    return _ticket_page(request, customer, _own_ticket(customer, number))


@require_POST
@portal_page
@signed_in_required
def ticket_reply(request: HttpRequest, customer: Customer, number: int) -> HttpResponse:
    """The customer's reply, through the pipeline onto this ticket."""
    ticket = _own_ticket(customer, number)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _ticket_page(request, customer, ticket, reply_form=form, status=400)
    submission = PortalSubmission(
        type="reply",
        email=request.session.get(SESSION_EMAIL),
        language=get_language() or "en",
        ticket_number=ticket.number,
        description=form.cleaned_data["body"],
        files=files_encode(read_files(form.cleaned_data.get("attachments") or [])),
    )
    inbound = portal_submit(
        submission=submission, nonce=form.cleaned_data["nonce"], remote_addr=remote_addr(request)
    )
    if inbound.status == InboundStatus.FAILED:
        return _ticket_page(
            request,
            customer,
            ticket,
            reply_form=form,
            error=_("Your reply could not be saved. Please try again."),
            status=400,
        )
    target = inbound.ticket if inbound.ticket is not None else ticket
    return redirect(reverse("portal:ticket", args=[target.number]) + "#messages")


@require_POST
@portal_page
@signed_in_required
def ticket_confirm_view(request: HttpRequest, customer: Customer, number: int) -> HttpResponse:
    """The customer confirms the resolution: the ticket closes (the loop's last step)."""
    ticket = _own_ticket(customer, number)
    try:
        ticket_confirm(ticket=ticket, actor=Actor.customer(), reason="confirmed on the portal")
    except CloseloopError as error:
        return _ticket_page(request, customer, ticket, error=str(error.message), status=409)
    return redirect(reverse("portal:ticket", args=[ticket.number]))


@require_POST
@portal_page
@signed_in_required
def ticket_reopen_view(request: HttpRequest, customer: Customer, number: int) -> HttpResponse:
    """The customer says it is not solved: back into work, with their reason."""
    ticket = _own_ticket(customer, number)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        return _ticket_page(request, customer, ticket, reopen_form=form, status=400)
    try:
        ticket_reopen(
            ticket=ticket,
            actor=Actor.customer(),
            reason=f"customer on the portal: {form.cleaned_data['reason']}"[:2000],
        )
    except CloseloopError as error:
        return _ticket_page(
            request, customer, ticket, reopen_form=form, error=str(error.message), status=409
        )
    return redirect(reverse("portal:ticket", args=[ticket.number]))


@require_GET
@signed_in_required
def attachment(request: HttpRequest, customer: Customer, number: int, pk: int) -> HttpResponseBase:
    """A file on a public message of the customer's own ticket."""
    ticket = _own_ticket(customer, number)
    found = (
        Attachment.objects.filter(pk=pk, message__ticket=ticket, message__is_public=True)
        .exclude(file="")
        .first()
    )
    if found is None or not found.file:
        raise Http404
    response = FileResponse(found.file.open("rb"), as_attachment=True, filename=found.filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response
