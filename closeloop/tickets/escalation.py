"""Escalation: team lead (level 1) -> department head (2) -> expert (3), by hand with a reason
and a person, or automatically when an SLA clock breaches (the sla app calls this)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from closeloop.core.errors import InvalidInput, InvalidTransition
from closeloop.people.models import Agent, TeamRole
from closeloop.tickets.changes import (
    MAX_ESCALATION_LEVEL,
    Actor,
    Change,
    EscalationRefused,
    lock,
    save_fields,
)
from closeloop.tickets.models import AuthorKind, EventType, Status, Ticket


def _refuse_unless_open(ticket: Ticket) -> None:
    if ticket.status in (Status.RESOLVED, Status.CLOSED):
        raise InvalidTransition(
            _("Ticket %(number)s is %(status)s.")
            % {"number": ticket.number, "status": Status(ticket.status).label},
            details={"status": ticket.status},
        )


def _escalation_target(ticket: Ticket, level: int) -> Agent | None:
    team = ticket.team
    if team is None:
        return None
    if level == 1:
        lead = team.memberships.filter(role=TeamRole.LEAD).select_related("agent").first()
        return lead.agent if lead else None
    if level == 2:
        return team.department_head
    return team.expert or team.department_head


@transaction.atomic
def ticket_escalate(
    *,
    ticket: Ticket,
    actor: Actor,
    reason: str,
    to_agent: Agent | None = None,
    level: int | None = None,
) -> Ticket:
    """Raise the escalation level (team lead → department head → expert) with a reason.

    Manual escalation names a reason and goes to ``to_agent`` or, when not given, to the
    person the ticket's team names for that level. Automatic escalation (SLA breach) passes
    a ``level``; escalating to a level the ticket already has changes nothing.
    """
    ticket = lock(ticket)
    _refuse_unless_open(ticket)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("An escalation needs a reason."), details={"field": "reason"})
    target_level = ticket.escalation_level + 1 if level is None else level
    if not 1 <= target_level <= MAX_ESCALATION_LEVEL:
        raise EscalationRefused(
            _("Escalation level must be between 1 and %(max)d.") % {"max": MAX_ESCALATION_LEVEL},
            details={"level": target_level, "current_level": ticket.escalation_level},
        )
    if target_level <= ticket.escalation_level:
        if level is not None and actor.kind == AuthorKind.SYSTEM:
            return ticket
        raise EscalationRefused(
            _("Ticket %(number)s is already at escalation level %(level)d.")
            % {"number": ticket.number, "level": ticket.escalation_level},
            details={"current_level": ticket.escalation_level},
        )
    target = to_agent or _escalation_target(ticket, target_level)
    if target is None and actor.kind != AuthorKind.SYSTEM:
        raise EscalationRefused(
            _("Nobody is named for escalation level %(level)d of this team; choose a person.")
            % {"level": target_level},
            details={"level": target_level},
        )
    change = Change(ticket, actor)
    before = {
        "escalation_level": ticket.escalation_level,
        "escalated_to_id": ticket.escalated_to_id,
    }
    save_fields(change, escalation_level=target_level, escalated_to=target, escalated_at=change.at)
    change.record(
        EventType.ESCALATED,
        before=before,
        after={"escalation_level": target_level, "escalated_to_id": target.pk if target else None},
        reason=reason,
    )
    change.finish()
    return ticket
