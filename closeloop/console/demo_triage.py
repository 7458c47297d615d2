"""The demo's triage: its history labelled with problem types, as a team that has been
categorising tickets would have it, and a classifier trained on that history, so new demo
tickets are classified and routed out of the box."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

from closeloop.people.models import Team
from closeloop.tickets.models import Ticket
from closeloop.triage.models import Category, ClassifierVersion, TicketTriage, TriageSource
from closeloop.triage.training import MIN_EXAMPLES, classifier_train

# Demo scenario (console.demo_content) → the default taxonomy's problem type. Feedback has
# no problem type: those tickets stay unlabelled, as real history has unlabelled tickets.
CATEGORY_OF_SCENARIO = {
    "order_not_arrived": "delivery-delay",
    "refund": "refund",
    "battery_fault": "battery",
    "invoice": "invoice",
    "installation": "installation-appointment",
    "attitude": "rude-agent",
    "product_question": "how-to",
    "promotion": "coupon",
    "app_login": "account-login",
    "return_exchange": "return",
    "warranty_repair": "warranty-claim",
    "damaged_delivery": "damaged-in-transit",
    "firmware": "firmware-update",
}


# Which demo team looks after which family of problems (routing picks the agent inside it).
TEAM_OF_FAMILY = {"product": "technical", "service": "after-sales", "process": "after-sales"}
TEAM_OF_CATEGORY = {"how-to": "pre-sales", "coupon": "pre-sales", "compatibility": "pre-sales"}


def assign_teams() -> None:
    """Give every problem type of the default taxonomy a demo team."""
    teams = {team.code: team for team in Team.objects.all()}
    for category in Category.objects.all():
        code = TEAM_OF_CATEGORY.get(category.code) or TEAM_OF_FAMILY.get(category.family, "")
        if code in teams and category.team_id is None:
            category.team = teams[code]
            category.save(update_fields=["team"])


@transaction.atomic
def label_history(scenario_of_ref: Mapping[str, str]) -> int:
    """Record each imported demo ticket's problem type as set by an agent; return how many."""
    categories = {
        c.code: c for c in Category.objects.filter(code__in=CATEGORY_OF_SCENARIO.values())
    }
    tickets = Ticket.objects.filter(import_ref__in=list(scenario_of_ref)).values_list(
        "pk", "import_ref", "created_at"
    )
    rows = []
    for ticket_id, ref, created_at in tickets:
        scenario = scenario_of_ref.get(ref or "", "")
        category = categories.get(CATEGORY_OF_SCENARIO.get(scenario, ""))
        if category is None:
            continue
        rows.append(
            TicketTriage(
                ticket_id=ticket_id,
                category=category,
                confidence=1.0,
                source=TriageSource.AGENT,
                needs_triage=False,
                decided_at=created_at,
                reason={"demo": "labelled history"},
            )
        )
    TicketTriage.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def train_demo_classifier(labelled: int) -> ClassifierVersion | None:
    """Train on the labelled history and make it the active version (a demo too small to
    train on, a day or two of history, goes without)."""
    if labelled < MIN_EXAMPLES:
        return None
    return classifier_train(trained_by="demo", activate=True)
