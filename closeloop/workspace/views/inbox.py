"""The inbox: views, filters, search, pagination, bulk actions (thin: forms, selectors,
services)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from closeloop.core import clock
from closeloop.core.errors import CloseloopError
from closeloop.core.models import Organization
from closeloop.tickets.models import Ticket
from closeloop.tickets.selectors import ticket_sla_state, tickets_visible_to
from closeloop.tickets.services import Actor, ticket_assign, ticket_close
from closeloop.triage.tags import ticket_tags_add
from closeloop.workspace.access import Requester, workspace_view
from closeloop.workspace.forms_inbox import BulkActionForm, InboxFilterForm
from closeloop.workspace.selectors import VIEWS, InboxFilters, inbox_page, inbox_tickets

PAGE_SIZE = 50
VIEW_LABELS = {
    "mine": gettext_lazy("Mine"),
    "team": gettext_lazy("My teams"),
    "unassigned": gettext_lazy("Unassigned"),
    "needs_triage": gettext_lazy("Needs triage"),
    "at_risk": gettext_lazy("SLA at risk"),
    "breached": gettext_lazy("Breached"),
    "waiting": gettext_lazy("Waiting on customer"),
    "resolved": gettext_lazy("Recently resolved"),
}


def is_htmx(request: HttpRequest) -> bool:
    """Whether htmx sent the request (and not as a boosted page load)."""
    details = getattr(request, "htmx", None)
    return bool(details) and not getattr(details, "boosted", False)


def ticket_url(number: int) -> str:
    """The ticket page's address (the one place inbox rows build it)."""
    return reverse("workspace:ticket", kwargs={"number": number})


@dataclass(frozen=True)
class Row:
    """One inbox row as the template shows it."""

    ticket: Ticket
    reference: str
    url: str
    sla_state: str


def inbox_rows(tickets: list[Ticket]) -> list[Row]:
    """Rows for tickets: reference, page address, SLA state now."""
    prefix = Organization.cached().ticket_number_prefix
    now = clock.now()
    return [
        Row(
            ticket=ticket,
            reference=f"{prefix}-{ticket.number}",
            url=ticket_url(ticket.number),
            sla_state=ticket_sla_state(ticket, now=now),
        )
        for ticket in tickets
    ]


def _page_size(request: HttpRequest) -> int:
    # Only for tests and the benchmark (10 vs 50 rows); the page shows PAGE_SIZE.
    try:
        return max(1, min(PAGE_SIZE, int(request.GET.get("size", PAGE_SIZE))))
    except ValueError:
        return PAGE_SIZE


def _listing(request: HttpRequest, requester: Requester, view: str) -> dict[str, object]:
    form = InboxFilterForm(request.GET)
    filters = form.filters() if form.is_valid() else InboxFilters()
    tickets = inbox_tickets(requester, view=view, filters=filters)
    page, page_tickets = inbox_page(
        tickets, number=request.GET.get("page"), size=_page_size(request)
    )
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "view": view,
        "view_label": VIEW_LABELS[view],
        "views": [(name, VIEW_LABELS[name]) for name in VIEWS],
        "form": form,
        "page": page,
        "rows": inbox_rows(page_tickets),
        "query": query.urlencode(),
        "list_url": reverse("workspace:inbox-view", kwargs={"view": view}),
    }


@require_GET
@workspace_view
def inbox(request: HttpRequest, requester: Requester, view: str = "mine") -> HttpResponse:
    """An inbox view; htmx requests (live refresh, filters, paging) get the list alone."""
    if view not in VIEWS:
        raise Http404
    context = _listing(request, requester, view)
    if is_htmx(request):
        response = render(request, "workspace/_inbox_list.html", context)
        form = context["form"]
        if form.errors:  # type: ignore[attr-defined]
            # The list alone would hide why the filter did nothing: the form comes back too,
            # swapped in place (out of band) with its errors beside the fields.
            response.content += render(
                request, "workspace/_inbox_filters.html", {**context, "oob": True}
            ).content
        return response
    context["bulk"] = BulkActionForm(visible=Ticket.objects.none())
    return render(request, "workspace/inbox.html", context)


@dataclass(frozen=True)
class Outcome:
    """What a bulk action did to one ticket."""

    reference: str
    is_done: bool
    message: str


@require_POST
@workspace_view
def bulk(request: HttpRequest, requester: Requester) -> HttpResponse:
    """Assign, tag or close the selected tickets, each in its own transaction; refusals are
    reported per ticket."""
    form = BulkActionForm(request.POST, visible=tickets_visible_to(requester))
    is_valid = form.is_valid()
    if requester.agent is None:
        form.add_error(None, _("This account has no agent profile, so it cannot act on tickets."))
    if not is_valid or requester.agent is None:
        return _bulk_response(request, {"bulk": form}, status=400)
    actor = Actor.of_agent(requester.agent)
    prefix = Organization.cached().ticket_number_prefix
    outcomes = []
    for ticket in sorted(form.cleaned_data["tickets"], key=lambda ticket: ticket.number):
        reference = f"{prefix}-{ticket.number}"
        try:
            with transaction.atomic():
                _apply(form, ticket, actor)
        except CloseloopError as refused:
            outcomes.append(Outcome(reference, is_done=False, message=refused.message))
        else:
            outcomes.append(Outcome(reference, is_done=True, message=_("Done.")))
    done = sum(outcome.is_done for outcome in outcomes)
    return _bulk_response(
        request,
        {
            "bulk": BulkActionForm(visible=Ticket.objects.none()),
            "outcomes": outcomes,
            "done": done,
            "refused": len(outcomes) - done,
        },
    )


def _bulk_response(
    request: HttpRequest, context: dict[str, object], *, status: int = 200
) -> HttpResponse:
    # htmx swaps the result into the inbox and refreshes the list; without script, a page.
    template = (
        "workspace/_inbox_bulk_result.html" if is_htmx(request) else "workspace/inbox_bulk.html"
    )
    response = render(request, template, context, status=status)
    if status == 200:
        response["HX-Trigger"] = "inbox-refresh"
    return response


def _apply(form: BulkActionForm, ticket: Ticket, actor: Actor) -> None:
    action = form.cleaned_data["action"]
    if action == BulkActionForm.ASSIGN:
        ticket_assign(ticket=ticket, assignee=form.cleaned_data["assignee"], actor=actor)
    elif action == BulkActionForm.TAG:
        ticket_tags_add(ticket=ticket, names=[form.cleaned_data["tag"]], actor=actor)
    else:
        ticket_close(ticket=ticket, actor=actor, reason="closed from the inbox")
