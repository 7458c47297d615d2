"""The diagnosis page under /agent/analytics/diagnosis/: maturity scores with their evidence, the
problem list by urgency and the improvement priority table for a period; a lead changes the
effort of a kind of measure in a form on the same page. For team leads and administrators
(``lead_view``); other agents get 403. A wrong period is a 400 page naming the field."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from closeloop.analytics.dashboards import PRESET_DAYS, period_parse
from closeloop.analytics.diagnosis import (
    diagnosis_compute,
    improvement_effort_set,
    improvement_efforts,
)
from closeloop.analytics.diagnosis_improvements import MeasureKind
from closeloop.analytics.metrics import all_metrics
from closeloop.analytics.views_dashboards import SECTIONS
from closeloop.core.errors import CloseloopError
from closeloop.workspace.access import Requester
from closeloop.workspace.views.lead import lead_view

PAGE = "dash-diagnosis"
DIAGNOSIS_SECTIONS = (*SECTIONS, (PAGE, _("Diagnosis")))


class EffortForm(forms.Form):
    """A lead's effort estimate for one kind of measure."""

    measure = forms.ChoiceField(label=_("Kind of measure"), choices=MeasureKind.choices)
    effort = forms.IntegerField(
        label=_("Effort (1 = an afternoon, 5 = a project)"), min_value=1, max_value=5
    )


@require_http_methods(["GET", "POST"])
@lead_view
def diagnosis_page(request: HttpRequest, requester: Requester, team_ids: list[int]) -> HttpResponse:
    """The diagnosis of the chosen period (the last 30 days by default)."""
    params = request.GET.dict()
    form = EffortForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                improvement_effort_set(
                    measure=form.cleaned_data["measure"],
                    effort=form.cleaned_data["effort"],
                    actor=request.user,
                )
            except CloseloopError as error:
                form.add_error(error.details.get("field"), error.message)
            else:
                query = f"?{urlencode(params)}" if params else ""
                return redirect(f"{request.path}{query}#efforts")
        status = 400
    context: dict[str, Any] = {
        "page": PAGE,
        "sections": DIAGNOSIS_SECTIONS,
        "presets": PRESET_DAYS,
        "params": params,
        "keep": {},
        "form": form,
        "efforts": improvement_efforts(),
        "drillable": {definition.key for definition in all_metrics()},
    }
    try:
        period = period_parse(params)
    except CloseloopError as error:
        context["error"] = error.message
        context["error_field"] = error.details.get("field", "")
        return render(request, "analytics/diagnosis.html", context, status=error.http_status)
    context["period"] = period
    context["period_query"] = urlencode(period.query())
    context["diagnosis"] = diagnosis_compute(start=period.start, end=period.end)
    context["scores"] = [(row.label, row.score) for row in context["diagnosis"].dimensions]
    return render(request, "analytics/diagnosis.html", context, status=status)
