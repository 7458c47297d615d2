"""The ticket page and its forms: reply or note, lifecycle actions, merge.

Every form posts with htmx and gets back its own fragment (errors next to the fields, 4xx)
or, on success, a fresh form with the changed parts of the page swapped out of band. Without
JavaScript the same posts answer with the whole page (errors) or a redirect (success).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from closeloop.core.errors import CloseloopError, NotFound
from closeloop.people.models import Agent
from closeloop.tickets import services
from closeloop.tickets.intake import attachments_store
from closeloop.tickets.models import Attachment, Ticket
from closeloop.tickets.selectors import ticket_visible, tickets_visible_to
from closeloop.workspace.access import Requester, workspace_view
from closeloop.workspace.forms_ticket import ActionForm, MergeForm, ReplyForm, incoming_files
from closeloop.workspace.views.ticket_context import (
    assignable_agents,
    reply_channels,
    ticket_page_context,
)

TICKET_RELATED = ("customer", "team", "assignee", "escalated_to", "related_to")


def visible_ticket(requester: Requester, number: int) -> Ticket:
    """The ticket with this number if the requester may see it; 404 otherwise (a restricted
    team's ticket looks the same as one that does not exist)."""
    try:
        return ticket_visible(requester, number=number, related=TICKET_RELATED)
    except NotFound as missing:
        raise Http404(missing.message) from None


def acting(requester: Requester) -> services.Actor:
    """The requester as the actor of a change (refused for an admin without an agent)."""
    return services.Actor.of_requester(requester)


def refusal_to_form(form: forms.Form, error: CloseloopError) -> None:
    """Show a service's refusal next to the field it names, or above the form."""
    field = error.details.get("field") if error.details else None
    form.add_error(field if field in form.fields else None, str(error.message))


def _status_of(error: CloseloopError | None) -> int:
    status = error.http_status if error is not None else 400
    return status if 400 <= status < 500 else 400


def forms_for(
    ticket: Ticket, context: dict[str, Any], **bound: forms.Form | None
) -> dict[str, forms.Form]:
    """The page's forms: the bound one that failed, fresh ones for the rest."""
    reply = bound.get("reply_form") or ReplyForm(
        channels=context["reply_channels"], initial={"via": context["default_channel"]}
    )
    action = bound.get("action_form") or ActionForm(
        agents=context["agents"], initial={"assignee": ticket.assignee_id}
    )
    merge = bound.get("merge_form") or MergeForm()
    return {"reply_form": reply, "action_form": action, "merge_form": merge}


def _page(
    request: HttpRequest,
    requester: Requester,
    ticket: Ticket,
    *,
    status: int = 200,
    template: str = "workspace/ticket.html",
    bound: dict[str, Any] | None = None,
) -> HttpResponse:
    bound = bound or {}
    context = ticket_page_context(requester, ticket)
    context.update(forms_for(ticket, context, **bound))
    context["changed_form"] = bound.get("changed_form", "")
    return render(request, template, context, status=status)


@require_GET
@workspace_view
def ticket_page(request: HttpRequest, requester: Requester, number: int) -> HttpResponse:
    """The ticket: header, conversation, history, reply, actions, suggestions, customer."""
    ticket = visible_ticket(requester, number)
    if request.GET.get("part") == "live":
        # The parts a live change redraws (ticket.js asks after a ticket.changed frame).
        return _page(request, requester, ticket, template="workspace/_ticket_live.html")
    return _page(request, requester, ticket)


def _answer(
    request: HttpRequest,
    requester: Requester,
    number: int,
    *,
    form_name: str,
    form: forms.Form,
    error: CloseloopError | None = None,
) -> HttpResponse:
    """A refused form: its fragment (htmx) or the whole page, with a 4xx status."""
    ticket = visible_ticket(requester, number)
    status = _status_of(error)
    if request.htmx:  # type: ignore[attr-defined]
        return _page(
            request,
            requester,
            ticket,
            status=status,
            template=f"workspace/_ticket_{form_name}.html",
            bound={f"{form_name}_form": form},
        )
    return _page(request, requester, ticket, status=status, bound={f"{form_name}_form": form})


def _done(request: HttpRequest, requester: Requester, number: int, form_name: str) -> HttpResponse:
    """A change went through: fresh form and redrawn page parts (htmx) or a redirect."""
    if not request.htmx:  # type: ignore[attr-defined]
        return HttpResponseRedirect(reverse("workspace:ticket", kwargs={"number": number}))
    ticket = visible_ticket(requester, number)
    return _page(
        request,
        requester,
        ticket,
        template="workspace/_ticket_changed.html",
        bound={"changed_form": form_name},
    )


@require_POST
@workspace_view
def ticket_reply(request: HttpRequest, requester: Requester, number: int) -> HttpResponse:
    """Send a public reply through the chosen channel, or add an internal note."""
    ticket = visible_ticket(requester, number)
    channels, _default = reply_channels(ticket, list(ticket.messages.all()))
    form = ReplyForm(request.POST, request.FILES, channels=channels)
    if not form.is_valid():
        return _answer(request, requester, number, form_name="reply", form=form)
    data = form.cleaned_data
    is_note = bool(data["is_note"])
    try:
        with transaction.atomic():
            message = services.message_add(
                ticket=ticket,
                body=data["body"],
                actor=acting(requester),
                is_public=not is_note,
                channel=None if is_note or not data["via"] else data["via"],
            )
            attachments_store(message, incoming_files(data["attachments"]))
    except CloseloopError as error:
        refusal_to_form(form, error)
        return _answer(request, requester, number, form_name="reply", form=form, error=error)
    return _done(request, requester, number, "reply")


def _agent(agent_id: int | None) -> Agent | None:
    if agent_id is None:
        return None
    return Agent.objects.select_related("user").filter(pk=agent_id).first()


def _run_action(ticket: Ticket, actor: services.Actor, data: dict[str, Any]) -> None:
    action, reason = data["action"], (data.get("reason") or "").strip()
    if action == "assign":
        assignee = _agent(data.get("assignee"))
        if assignee is None:
            raise CloseloopError(_("Choose who takes the ticket."), details={"field": "assignee"})
        services.ticket_assign(ticket=ticket, assignee=assignee, actor=actor, reason=reason)
    elif action == "escalate":
        services.ticket_escalate(
            ticket=ticket, actor=actor, reason=reason, to_agent=_agent(data.get("assignee"))
        )
    else:
        lifecycle = {
            "start": services.ticket_start,
            "pend": services.ticket_pend,
            "resolve": services.ticket_resolve,
            "close": services.ticket_close,
            "reopen": services.ticket_reopen,
        }[action]
        lifecycle(ticket=ticket, actor=actor, reason=reason)


@require_POST
@workspace_view
def ticket_action(request: HttpRequest, requester: Requester, number: int) -> HttpResponse:
    """Assign, start, pend, resolve, close, reopen or escalate (with a reason)."""
    ticket = visible_ticket(requester, number)
    form = ActionForm(request.POST, agents=assignable_agents(ticket))
    if not form.is_valid():
        return _answer(request, requester, number, form_name="action", form=form)
    try:
        with transaction.atomic():
            _run_action(ticket, acting(requester), form.cleaned_data)
    except CloseloopError as error:
        refusal_to_form(form, error)
        return _answer(request, requester, number, form_name="action", form=form, error=error)
    return _done(request, requester, number, "action")


@require_POST
@workspace_view
def ticket_merge(request: HttpRequest, requester: Requester, number: int) -> HttpResponse:
    """Merge this ticket into another visible ticket, named by its number."""
    ticket = visible_ticket(requester, number)
    form = MergeForm(request.POST)
    if not form.is_valid():
        return _answer(request, requester, number, form_name="merge", form=form)
    target = tickets_visible_to(requester).filter(number=form.cleaned_data["target"]).first()
    if target is None:
        form.add_error("target", _("There is no ticket with that number."))
        return _answer(request, requester, number, form_name="merge", form=form)
    try:
        with transaction.atomic():
            services.ticket_merge(
                source=ticket,
                target=target,
                actor=acting(requester),
                reason=form.cleaned_data["reason"],
            )
    except CloseloopError as error:
        refusal_to_form(form, error)
        return _answer(request, requester, number, form_name="merge", form=form, error=error)
    return _done(request, requester, number, "merge")


@require_GET
@workspace_view  # type: ignore[arg-type]  # a FileResponse streams; it is no HttpResponse
def ticket_attachment(
    request: HttpRequest, requester: Requester, number: int, attachment_id: int
) -> FileResponse:
    """Download a file of one of the ticket's messages (same visibility as the ticket)."""
    ticket = visible_ticket(requester, number)
    attachment = Attachment.objects.filter(pk=attachment_id, message__ticket=ticket).first()
    if attachment is None or not attachment.file:
        raise Http404(_("That attachment does not exist or was not stored."))
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=not attachment.is_inline,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
