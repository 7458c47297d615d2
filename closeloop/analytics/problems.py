"""Problem management services: record a problem, link tickets, set its root cause, move it.

Status flow (``ALLOWED``): proposed → open (or rejected); open → known error / fixing →
resolved → closed; resolved may reopen. Every transition is a guarded update from the status
that was read, appended to the problem's ``history``. Corrective actions attach to a problem
through ``actions.corrective_action_create(subject=problem)``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from closeloop.analytics.actions import corrective_action_create
from closeloop.analytics.flow import fields_change, history_add, status_move
from closeloop.analytics.models import CorrectiveAction, RootCause
from closeloop.analytics.models_problems import (
    DetectionSource,
    Problem,
    ProblemStatus,
    ProblemTicket,
)
from closeloop.core import clock
from closeloop.core.errors import ConcurrentChange, InvalidInput, InvalidTransition, NotFound
from closeloop.people.models import Agent
from closeloop.tickets.models import Ticket
from closeloop.triage.models import Category

S = ProblemStatus
ALLOWED: dict[str, frozenset[str]] = {
    S.PROPOSED: frozenset({S.OPEN, S.REJECTED}),
    S.OPEN: frozenset({S.KNOWN_ERROR, S.FIXING, S.RESOLVED, S.REJECTED}),
    S.KNOWN_ERROR: frozenset({S.FIXING, S.RESOLVED}),
    S.FIXING: frozenset({S.KNOWN_ERROR, S.RESOLVED}),
    S.RESOLVED: frozenset({S.CLOSED, S.OPEN}),
    S.CLOSED: frozenset(),
    S.REJECTED: frozenset(),
}
# Statuses in which the problem is still being worked on (detection does not re-propose its
# tickets; the monthly review lists them as open).
ACTIVE = frozenset({S.PROPOSED, S.OPEN, S.KNOWN_ERROR, S.FIXING})
MAX_LINK = 500


def _clean_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise InvalidInput(_("Give the problem a title."), details={"field": "title"})
    if len(title) > 200:
        raise InvalidInput(_("The title is at most 200 characters."), details={"field": "title"})
    return title


def _check_root_cause(root_cause: str) -> str:
    if root_cause and root_cause not in RootCause.values:
        raise InvalidInput(_("Unknown root cause."), details={"field": "root_cause"})
    return root_cause


@transaction.atomic
def problem_create(
    *,
    actor: Agent | None,
    title: str,
    description: str = "",
    category: Category | None = None,
    owner: Agent | None = None,
    root_cause: str = "",
    root_cause_notes: str = "",
    status: str = S.OPEN,
    source: str = DetectionSource.MANUAL,
    evidence: dict[str, Any] | None = None,
    fingerprint: str = "",
    tickets: list[Ticket] | None = None,
    ticket_numbers: list[int] | None = None,
) -> Problem:
    """Record a problem (open by hand; detection records it as proposed) with ``tickets``
    and the tickets of ``ticket_numbers`` linked; an unknown number records nothing."""
    if ticket_numbers:
        found = _tickets_by_number(ticket_numbers, field="ticket_numbers")
        tickets = [*(tickets or []), *found]
    if status not in (S.OPEN, S.PROPOSED):
        raise InvalidInput(_("A new problem is open or proposed."), details={"field": "status"})
    if source not in DetectionSource.values:
        raise InvalidInput(_("Unknown detection source."), details={"field": "source"})
    now = clock.now()
    problem = Problem(
        title=_clean_title(title),
        description=(description or "").strip(),
        category=category,
        owner=owner,
        root_cause=_check_root_cause(root_cause),
        root_cause_notes=(root_cause_notes or "").strip(),
        status=status,
        source=source,
        evidence=evidence or {},
        fingerprint=fingerprint,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    history_add(problem, actor=actor, now=now, to=status)
    problem.save()
    if tickets:
        ProblemTicket.objects.bulk_create(
            [
                ProblemTicket(problem=problem, ticket=t, linked_by=actor, linked_at=now)
                for t in tickets
            ],
            ignore_conflicts=True,
        )
    return problem


@transaction.atomic
def problem_update(*, problem: Problem, actor: Agent | None, **changes: Any) -> Problem:
    """Change title, description, category, owner, root cause and its analysis."""
    allowed = {"title", "description", "category", "owner", "root_cause", "root_cause_notes"}
    unknown = set(changes) - allowed
    if unknown:
        field = sorted(unknown)[0]
        raise InvalidInput(
            _("Unknown field %(field)s.") % {"field": field}, details={"field": field}
        )
    locked = Problem.objects.select_for_update().get(pk=problem.pk)
    if locked.status in (S.CLOSED, S.REJECTED):
        raise InvalidTransition(
            _("A problem that is %(status)s cannot be changed.")
            % {"status": locked.get_status_display()},
            details={"status": locked.status},
        )
    if "title" in changes:
        changes["title"] = _clean_title(changes["title"])
    if "root_cause" in changes:
        changes["root_cause"] = _check_root_cause(changes["root_cause"] or "")
    fields_change(locked, changes, now=clock.now())
    return locked


@transaction.atomic
def problem_transition(
    *, problem: Problem, actor: Agent | None, to: str, note: str = ""
) -> Problem:
    """Move a problem to ``to`` if ``ALLOWED`` from the status it was read in (guarded).

    Resolving needs a root cause: the review reports what caused every resolved problem."""
    if to not in S.values:
        raise InvalidInput(_("Unknown status."), details={"field": "status"})
    if to not in ALLOWED[problem.status]:
        raise InvalidTransition(
            _("A problem cannot go from %(from)s to %(to)s.")
            % {"from": S(problem.status).label, "to": S(to).label},
            details={"from": problem.status, "to": to},
        )
    if to == S.RESOLVED and not problem.root_cause:
        raise InvalidInput(
            _("Record the root cause before resolving the problem."),
            details={"field": "root_cause"},
        )
    now = clock.now()
    fields: dict[str, Any] = {"status": to, "updated_at": now}
    if to == S.RESOLVED:
        fields["resolved_at"] = now
    if to == S.OPEN and problem.status == S.RESOLVED:
        fields["resolved_at"] = None
    if to in (S.CLOSED, S.REJECTED):
        fields["closed_at"] = now
    history_add(problem, actor=actor, now=now, **{"from": problem.status, "to": to, "note": note})
    fields["history"] = problem.history
    status_move(problem, fields, conflict=_("Someone else changed this problem; reload it."))
    return problem


def _tickets_by_number(numbers: list[int], *, field: str = "numbers") -> list[Ticket]:
    if not numbers:
        raise InvalidInput(_("Give at least one ticket number."), details={"field": field})
    if len(numbers) > MAX_LINK:
        raise InvalidInput(
            _("Link at most %(n)d tickets at once.") % {"n": MAX_LINK},
            details={"field": field},
        )
    wanted = set(numbers)
    found = list(Ticket.objects.filter(number__in=wanted))
    missing = sorted(wanted - {t.number for t in found})
    if missing:
        raise NotFound(
            _("No ticket with number %(numbers)s.")
            % {"numbers": ", ".join(str(n) for n in missing[:10])},
            details={"field": field, "missing": missing[:50]},
        )
    return found


def parse_ticket_numbers(text: str) -> list[int]:
    """Ticket numbers typed by a person: separated by commas, spaces or new lines, '#' allowed."""
    numbers: list[int] = []
    for part in text.replace(",", " ").replace("，", " ").split():
        part = part.lstrip("#")
        if not part.isdigit():
            raise InvalidInput(
                _("%(value)s is not a ticket number.") % {"value": part[:20]},
                details={"field": "numbers"},
            )
        numbers.append(int(part))
    return numbers


@transaction.atomic
def problem_link_tickets(*, problem: Problem, actor: Agent | None, numbers: list[int]) -> int:
    """Link tickets (by number) to a problem; already linked ones are left alone. Returns how
    many were newly linked. All or nothing: an unknown number links none."""
    locked = Problem.objects.select_for_update().get(pk=problem.pk)
    if locked.status in (S.CLOSED, S.REJECTED):
        raise InvalidTransition(
            _("A problem that is %(status)s cannot be changed.")
            % {"status": locked.get_status_display()},
            details={"status": locked.status},
        )
    tickets = _tickets_by_number(numbers)
    already = set(
        ProblemTicket.objects.filter(problem=locked, ticket__in=tickets).values_list(
            "ticket_id", flat=True
        )
    )
    now = clock.now()
    new = [
        ProblemTicket(problem=locked, ticket=t, linked_by=actor, linked_at=now)
        for t in tickets
        if t.pk not in already
    ]
    try:
        with transaction.atomic():
            ProblemTicket.objects.bulk_create(new)
    except IntegrityError as exc:
        raise ConcurrentChange(
            _("Someone else linked these tickets at the same time; reload."),
        ) from exc
    Problem.objects.filter(pk=locked.pk).update(updated_at=now)
    return len(new)


@transaction.atomic
def problem_unlink_ticket(*, problem: Problem, actor: Agent | None, number: int) -> None:
    """Take one ticket off a problem."""
    deleted, _count = ProblemTicket.objects.filter(problem=problem, ticket__number=number).delete()
    if not deleted:
        raise NotFound(
            _("Ticket %(number)d is not linked to this problem.") % {"number": number},
            details={"field": "number"},
        )
    Problem.objects.filter(pk=problem.pk).update(updated_at=clock.now())


def problem_action_add(
    *,
    problem: Problem,
    actor: Agent | None,
    title: str,
    owner: Agent | None = None,
    metric: str = "",
    check_after_days: int = 14,
) -> CorrectiveAction:
    """Open a corrective action for a problem (linked through its subject)."""
    if problem.status in (S.CLOSED, S.REJECTED):
        raise InvalidTransition(
            _("A problem that is %(status)s cannot be changed.")
            % {"status": problem.get_status_display()},
            details={"status": problem.status},
        )
    return corrective_action_create(
        actor=actor,
        title=title,
        owner=owner or problem.owner,
        metric=metric,
        check_after_days=check_after_days,
        subject=problem,
    )


def problem_actions(problem: Problem) -> QuerySet[CorrectiveAction]:
    """The corrective actions taken for a problem."""
    return CorrectiveAction.objects.filter(
        subject_type=ContentType.objects.get_for_model(Problem), subject_id=problem.pk
    ).order_by("created_at", "id")


def problem_list(
    *, status: str = "", category_id: int | None = None, root_cause: str = "", source: str = ""
) -> QuerySet[Problem]:
    """Problems, newest first, with ticket counts, filtered."""
    from django.db.models import Count

    rows = Problem.objects.select_related("category", "owner").annotate(ticket_count=Count("links"))
    if status == "active":
        rows = rows.filter(status__in=ACTIVE)
    elif status:
        rows = rows.filter(status=status)
    if category_id:
        rows = rows.filter(category_id=category_id)
    if root_cause:
        rows = rows.filter(root_cause=root_cause)
    if source:
        rows = rows.filter(source=source)
    return rows.order_by("-created_at", "-id")


def problem_get(problem_id: int) -> Problem:
    """One problem or NotFound."""
    try:
        return Problem.objects.select_related("category", "owner", "created_by").get(pk=problem_id)
    except Problem.DoesNotExist as exc:
        raise NotFound(_("No such problem.")) from exc
