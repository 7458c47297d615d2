"""The review pages under /agent/analytics/review/: problems (list, record, detail with tickets,
corrective actions and the root cause form, detection button) and the monthly review (page and
its PDF, CSV and HTML files). For team leads and administrators (``lead_view``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from closeloop.analytics import monthly
from closeloop.analytics import problems as services
from closeloop.analytics.detection import problems_detect
from closeloop.analytics.forms import attach_error
from closeloop.analytics.forms_problems import (
    LinkTicketsForm,
    MonthForm,
    ProblemActionForm,
    ProblemFilterForm,
    ProblemForm,
)
from closeloop.analytics.models_problems import Problem, ProblemStatus
from closeloop.analytics.monthly import monthly_review
from closeloop.core import clock
from closeloop.core.errors import CloseloopError
from closeloop.workspace.access import Requester
from closeloop.workspace.views.lead import lead_view

LIST_LIMIT = 200
TICKET_LIMIT = 200
TRANSITION_LABELS = {
    ProblemStatus.OPEN: gettext_lazy("Accept (open)"),
    ProblemStatus.KNOWN_ERROR: gettext_lazy("Known error"),
    ProblemStatus.FIXING: gettext_lazy("Fixing"),
    ProblemStatus.RESOLVED: gettext_lazy("Resolved"),
    ProblemStatus.CLOSED: gettext_lazy("Close"),
    ProblemStatus.REJECTED: gettext_lazy("Reject"),
}


@require_GET
@lead_view
def problems_page(request: HttpRequest, requester: Requester, team_ids: list[int]) -> HttpResponse:
    """Problems, newest first, filtered by status, category, root cause and source."""
    filters = ProblemFilterForm(request.GET or None)
    criteria: dict[str, Any] = {}
    if filters.is_valid():
        data = filters.cleaned_data
        criteria = {
            "status": data["status"],
            "root_cause": data["root_cause"],
            "source": data["source"],
            "category_id": data["category"].pk if data["category"] else None,
        }
    rows = list(services.problem_list(**criteria)[:LIST_LIMIT])
    return render(
        request,
        "analytics/problems.html",
        {"problems": rows, "filters": filters, "form": ProblemForm()},
        status=200 if filters.is_valid() or not request.GET else 400,
    )


@require_POST
@lead_view
def problem_new(request: HttpRequest, requester: Requester, team_ids: list[int]) -> HttpResponse:
    """Record a problem by hand."""
    form = ProblemForm(request.POST)
    if form.is_valid():
        try:
            problem = services.problem_create(actor=requester.agent, **form.cleaned_data)
        except CloseloopError as error:
            attach_error(form, error)
        else:
            return redirect("analytics:review-problem", problem_id=problem.pk)
    rows = list(services.problem_list()[:LIST_LIMIT])
    context = {"problems": rows, "filters": ProblemFilterForm(), "form": form}
    return render(request, "analytics/problems.html", context, status=400)


@require_POST
@lead_view
def problems_detect_now(
    request: HttpRequest, requester: Requester, team_ids: list[int]
) -> HttpResponse:
    """Run the emerging-problem detection now (the lead's button)."""
    result = problems_detect()
    found = len(result.spikes) + len(result.clusters)
    if found:
        messages.success(
            request,
            ngettext(
                "%(n)d new candidate problem proposed.",
                "%(n)d new candidate problems proposed.",
                found,
            )
            % {"n": found},
        )
    else:
        messages.info(request, _("No new candidate problems."))
    return redirect(f"{reverse('analytics:review-problems')}?status=proposed")


def _problem(problem_id: int) -> Problem:
    try:
        return services.problem_get(problem_id)
    except CloseloopError:
        raise Http404 from None


def _context(problem: Problem, **forms: Any) -> dict[str, Any]:
    links = list(
        problem.links.select_related("ticket", "ticket__triage__category").order_by(
            "-ticket__created_at"
        )[:TICKET_LIMIT]
    )
    return {
        "problem": problem,
        "links": links,
        "link_count": problem.links.count(),
        "actions": list(services.problem_actions(problem)),
        "form": forms.get("form") or ProblemForm(initial=ProblemForm.initial_for(problem)),
        "link_form": forms.get("link_form") or LinkTicketsForm(),
        "action_form": forms.get("action_form") or ProblemActionForm(),
        "transition_error": forms.get("transition_error", ""),
        "transitions": [
            (status, TRANSITION_LABELS[ProblemStatus(status)])
            for status in ProblemStatus
            if status in services.ALLOWED[problem.status]
        ],
        "is_editable": problem.status not in (ProblemStatus.CLOSED, ProblemStatus.REJECTED),
    }


@require_http_methods(["GET", "POST"])
@lead_view
def problem_page(
    request: HttpRequest, requester: Requester, team_ids: list[int], problem_id: int
) -> HttpResponse:
    """A problem: its tickets, corrective actions, root cause form and status buttons."""
    problem = _problem(problem_id)
    if request.method == "POST":
        form = ProblemForm(request.POST)
        if form.is_valid():
            try:
                services.problem_update(problem=problem, actor=requester.agent, **form.cleaned_data)
            except CloseloopError as error:
                attach_error(form, error)
            else:
                return redirect("analytics:review-problem", problem_id=problem.pk)
        return render(request, "analytics/problem.html", _context(problem, form=form), status=400)
    return render(request, "analytics/problem.html", _context(problem))


def _refused(request: HttpRequest, problem: Problem, error: CloseloopError) -> HttpResponse:
    """The problem's page again, with the refusal of a button's action at its top."""
    context = _context(problem, transition_error=error.message)
    return render(request, "analytics/problem.html", context, status=error.http_status)


@require_POST
@lead_view
def problem_transition(
    request: HttpRequest, requester: Requester, team_ids: list[int], problem_id: int
) -> HttpResponse:
    """Move a problem on; a refusal shows on its page."""
    problem = _problem(problem_id)
    try:
        services.problem_transition(
            problem=problem, actor=requester.agent, to=request.POST.get("to", "")
        )
    except CloseloopError as error:
        return _refused(request, problem, error)
    return redirect("analytics:review-problem", problem_id=problem.pk)


@require_POST
@lead_view
def problem_link(
    request: HttpRequest, requester: Requester, team_ids: list[int], problem_id: int
) -> HttpResponse:
    """Link tickets by number."""
    problem = _problem(problem_id)
    form = LinkTicketsForm(request.POST)
    if form.is_valid():
        try:
            numbers = services.parse_ticket_numbers(form.cleaned_data["numbers"])
            added = services.problem_link_tickets(
                problem=problem, actor=requester.agent, numbers=numbers
            )
        except CloseloopError as error:
            attach_error(form, error)
        else:
            messages.success(
                request,
                ngettext("%(n)d ticket linked.", "%(n)d tickets linked.", added) % {"n": added},
            )
            return redirect("analytics:review-problem", problem_id=problem.pk)
    return render(request, "analytics/problem.html", _context(problem, link_form=form), status=400)


@require_POST
@lead_view
def problem_unlink(
    request: HttpRequest, requester: Requester, team_ids: list[int], problem_id: int, number: int
) -> HttpResponse:
    """Take a ticket off the problem."""
    problem = _problem(problem_id)
    try:
        services.problem_unlink_ticket(problem=problem, actor=requester.agent, number=number)
    except CloseloopError as error:
        return _refused(request, problem, error)
    return redirect("analytics:review-problem", problem_id=problem.pk)


@require_POST
@lead_view
def problem_action(
    request: HttpRequest, requester: Requester, team_ids: list[int], problem_id: int
) -> HttpResponse:
    """Open a corrective action for the problem."""
    problem = _problem(problem_id)
    form = ProblemActionForm(request.POST)
    if form.is_valid():
        try:
            services.problem_action_add(
                problem=problem,
                actor=requester.agent,
                title=form.cleaned_data["action_title"],
                owner=form.cleaned_data["action_owner"],
            )
        except CloseloopError as error:
            attach_error(form, error)
        else:
            return redirect("analytics:review-problem", problem_id=problem.pk)
    return render(
        request, "analytics/problem.html", _context(problem, action_form=form), status=400
    )


def last_month() -> str:
    """The month before today's, in the organisation's time zone (the default review)."""
    today = timezone.localdate(clock.now(), timezone.get_default_timezone())
    first = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    return first.strftime("%Y-%m")


def _month(request: HttpRequest) -> tuple[MonthForm, str | None]:
    form = MonthForm(request.GET if "month" in request.GET else {"month": last_month()})
    if not form.is_valid():
        return form, None
    return form, form.cleaned_data["month"]


@require_GET
@lead_view
def monthly_page(request: HttpRequest, requester: Requester, team_ids: list[int]) -> HttpResponse:
    """The monthly review of ``?month=YYYY-MM`` (last month by default)."""
    form, month = _month(request)
    try:
        review = monthly_review(month or "")
    except CloseloopError as error:
        attach_error(form, error)
        review = monthly_review(last_month())
        return render(
            request, "analytics/monthly.html", {"form": form, "review": review}, status=400
        )
    return render(request, "analytics/monthly.html", {"form": form, "review": review})


@require_GET
@lead_view
def monthly_file(
    request: HttpRequest, requester: Requester, team_ids: list[int], fmt: str
) -> HttpResponse:
    """The monthly review as a PDF, CSV or standalone HTML download."""
    if fmt not in ("pdf", "csv", "html"):
        raise Http404
    _form, month = _month(request)
    try:
        review = monthly_review(month or "")
    except CloseloopError as error:
        return HttpResponse(error.message, status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(monthly.monthly_file(review, fmt), content_type=monthly.FILE_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="monthly-review-{review.month}.{fmt}"'
    return response
