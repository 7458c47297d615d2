"""The registered metrics: key, names, unit, better direction, how each is measured."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from closeloop.analytics.metric_measures import (
    bot_share,
    ces,
    classification_accuracy,
    complaint_rate,
    csat,
    escalated_resolution_rate,
    first_contact_resolution,
    first_response_business,
    knowledge_use_rate,
    nps,
    on_time,
    qa_pass_rate,
    reopen_rate,
    repeat_contact_rate,
    resolution_business,
    self_service_share,
    sla_breach_rate,
    volume,
    wall_minutes,
)
from closeloop.analytics.metrics import (
    CHANNEL_ONLY,
    TICKET_SCOPE,
    Direction,
    Measure,
    Measurement,
    MetricDefinition,
    Scope,
    Unit,
    median,
    p90,
    register,
    summary,
)
from closeloop.sla.models import Metric as ClockMetric

# --- the registry -------------------------------------------------------------------------------

PERCENT, MINUTES, COUNT, SCORE = Unit.PERCENT, Unit.MINUTES, Unit.COUNT, Unit.SCORE
HIGHER, LOWER = Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER


def _statistic(
    values: Callable[[Scope, datetime, datetime], list[float]],
    statistic: Callable[[list[float]], float],
) -> Measure:
    def measure_statistic(scope: Scope, start: datetime, end: datetime) -> Measurement:
        return summary(values(scope, start, end), statistic)

    return measure_statistic


for _key, _label, _definition, _unit, _direction, _measure, *_scope in (
    (
        "volume",
        _("Volume"),
        _("Tickets opened in the period."),
        COUNT,
        LOWER,
        volume,
    ),
    (
        "first_response_median",
        _("First response time (median)"),
        _(
            "Median wall-clock minutes from opening to the first public reply by a person, "
            "of the tickets opened in the period."
        ),
        MINUTES,
        LOWER,
        wall_minutes("first_response", None),
    ),
    (
        "first_response_p90",
        _("First response time (p90)"),
        _("90th percentile (nearest rank) of the wall-clock first response minutes."),
        MINUTES,
        LOWER,
        wall_minutes("first_response", 90),
    ),
    (
        "first_response_business_median",
        _("First response time, business minutes (median)"),
        _(
            "Median business minutes of the stopped first-response clocks (on the SLA "
            "policy's calendar, pauses excluded) of the tickets opened in the period."
        ),
        MINUTES,
        LOWER,
        _statistic(first_response_business, median),
    ),
    (
        "first_response_business_p90",
        _("First response time, business minutes (p90)"),
        _("90th percentile of the business first response minutes."),
        MINUTES,
        LOWER,
        _statistic(first_response_business, p90),
    ),
    (
        "resolution_median",
        _("Resolution time (median)"),
        _(
            "Median wall-clock minutes from opening to resolution, of the tickets resolved "
            "in the period."
        ),
        MINUTES,
        LOWER,
        wall_minutes("resolution", None),
    ),
    (
        "resolution_p90",
        _("Resolution time (p90)"),
        _("90th percentile of the wall-clock resolution minutes."),
        MINUTES,
        LOWER,
        wall_minutes("resolution", 90),
    ),
    (
        "resolution_business_median",
        _("Resolution time, business minutes (median)"),
        _(
            "Median business minutes of the stopped resolution clocks of the tickets resolved "
            "in the period (pauses excluded)."
        ),
        MINUTES,
        LOWER,
        _statistic(resolution_business, median),
    ),
    (
        "resolution_business_p90",
        _("Resolution time, business minutes (p90)"),
        _("90th percentile of the business resolution minutes."),
        MINUTES,
        LOWER,
        _statistic(resolution_business, p90),
    ),
    (
        "response_on_time_rate",
        _("Response on-time rate"),
        _(
            "First-response clocks stopped by their due time ÷ clocks stopped or already "
            "overdue, of the tickets opened in the period."
        ),
        PERCENT,
        HIGHER,
        on_time(ClockMetric.FIRST_RESPONSE),
    ),
    (
        "resolution_on_time_rate",
        _("Resolution on-time rate"),
        _(
            "Resolution clocks stopped by their due time ÷ clocks stopped or already overdue, "
            "of the tickets opened in the period."
        ),
        PERCENT,
        HIGHER,
        on_time(ClockMetric.RESOLUTION),
    ),
    (
        "sla_breach_rate",
        _("SLA breach rate"),
        _("Tickets opened in the period with a breached SLA clock ÷ tickets opened."),
        PERCENT,
        LOWER,
        sla_breach_rate,
    ),
    (
        "first_contact_resolution",
        _("First-contact resolution"),
        _(
            "Tickets resolved in the period with exactly one public agent reply and no "
            "reopen ÷ tickets resolved."
        ),
        PERCENT,
        HIGHER,
        first_contact_resolution,
    ),
    (
        "reopen_rate",
        _("Reopen rate"),
        _("Tickets resolved in the period that were reopened at least once ÷ tickets resolved."),
        PERCENT,
        LOWER,
        reopen_rate,
    ),
    (
        "repeat_contact_rate",
        _("Repeat-contact rate"),
        _(
            "Tickets opened in the period whose customer opened a ticket of the same category "
            "in the 7 days before ÷ tickets opened."
        ),
        PERCENT,
        LOWER,
        repeat_contact_rate,
    ),
    (
        "csat",
        _("CSAT"),
        _("CSAT responses scoring 4–5 of 5 ÷ all CSAT responses answered in the period."),
        PERCENT,
        HIGHER,
        csat,
    ),
    (
        "nps",
        _("NPS"),
        _("The share of NPS responses scoring 9–10 minus the share scoring 0–6, in points."),
        SCORE,
        HIGHER,
        nps,
    ),
    (
        "ces",
        _("Customer effort (CES)"),
        _("Average CES score (1–7) of the responses answered in the period."),
        SCORE,
        LOWER,
        ces,
    ),
    (
        "complaint_rate",
        _("Complaint rate"),
        _("Complaint tickets ÷ all tickets opened in the period (scope it to a touchpoint)."),
        PERCENT,
        LOWER,
        complaint_rate,
    ),
    (
        "bot_share",
        _("Bot share"),
        _(
            "Bot conversations started in the period and resolved by the bot without a "
            "person ÷ all ended bot conversations."
        ),
        PERCENT,
        HIGHER,
        bot_share,
        CHANNEL_ONLY,
    ),
    (
        "self_service_share",
        _("Self-service share"),
        _("Self-service successes ÷ (self-service successes + tickets opened)."),
        PERCENT,
        HIGHER,
        self_service_share,
        CHANNEL_ONLY,
    ),
    (
        "knowledge_use_rate",
        _("Knowledge-use rate"),
        _(
            "Tickets opened in the period on which an article was linked, inserted or "
            "answered by the bot ÷ tickets opened."
        ),
        PERCENT,
        HIGHER,
        knowledge_use_rate,
    ),
    (
        "escalated_resolution_rate",
        _("Escalated resolution rate"),
        _("Escalated tickets (opened in the period) now resolved or closed ÷ escalated tickets."),
        PERCENT,
        HIGHER,
        escalated_resolution_rate,
    ),
    (
        "qa_pass_rate",
        _("QA pass rate"),
        _(
            "QA reviews submitted in the period that passed ÷ reviews submitted (calibration "
            "rounds excluded)."
        ),
        PERCENT,
        HIGHER,
        qa_pass_rate,
    ),
    (
        "classification_accuracy",
        _("Classification accuracy"),
        _(
            "Category suggestions that agents reviewed in the period and kept unchanged ÷ "
            "suggestions reviewed."
        ),
        PERCENT,
        HIGHER,
        classification_accuracy,
    ),
):
    register(
        MetricDefinition(
            key=_key,
            label=_label,
            definition=_definition,
            unit=_unit,
            direction=_direction,
            measure=_measure,
            scope_fields=_scope[0] if _scope else TICKET_SCOPE,
        )
    )
