"""Importing ticket history from JSON Lines (format: ``docs/import.md``; export: exporter.py).

Import replays each line through the ticket services with the clock fixed at each step's
original time, so the TicketEvents, milestones and SLA clocks are the ones live operation would
have produced. Each line is one transaction: a bad line leaves nothing behind, and a line whose
``external_ref`` was imported before is left as it is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from closeloop.core import clock
from closeloop.core.errors import CloseloopError
from closeloop.customers.models import Customer
from closeloop.customers.services import customer_identify, customer_set_segment
from closeloop.people.models import Agent, Team
from closeloop.tickets import services
from closeloop.tickets.models import AuthorKind, Message, Ticket
from closeloop.tickets.services import Actor
from closeloop.tickets.signals import history_replay

TICKET_KEYS = frozenset(
    {
        "external_ref",
        "subject",
        "channel",
        "kind",
        "priority",
        "touchpoint",
        "team",
        "customer",
        "created_at",
        "body",
        "body_external_id",
        "related_to",
        "history",
    }
)
REQUIRED_TICKET_KEYS = ("external_ref", "subject", "channel", "customer", "created_at", "body")
# The customer's handles, named as customer_identify's keywords.
CUSTOMER_HANDLES = ("email", "phone", "wechat_openid", "app_user_id", "chat_visitor_id")
CUSTOMER_KEYS = frozenset({*CUSTOMER_HANDLES, "name", "segment"})
ACTOR_KEYS = frozenset({"agent", "by", "reason"})
STEP_KEYS: dict[str, frozenset[str]] = {
    "message": frozenset({"author", "agent", "body", "is_public", "external_id", "channel"}),
    "assign": ACTOR_KEYS | {"to", "team"},
    "escalate": ACTOR_KEYS | {"to", "level"},
    "update": ACTOR_KEYS | {"subject", "kind", "priority", "touchpoint", "team"},
    **dict.fromkeys(("start", "pend", "resolve", "confirm", "close", "reopen"), ACTOR_KEYS),
}
UPDATE_FIELDS = ("subject", "kind", "priority", "touchpoint")
# Who acts when a step names no agent and no ``by``: the customer confirms and reopens,
# Closeloop itself does the rest (routing, automations).
DEFAULT_ACTOR = {"confirm": AuthorKind.CUSTOMER, "reopen": AuthorKind.CUSTOMER}
NON_AGENT_ACTORS = (AuthorKind.CUSTOMER, AuthorKind.SYSTEM, AuthorKind.BOT)
LIFECYCLE_SERVICES: dict[str, Callable[..., Ticket]] = {
    "start": services.ticket_start,
    "pend": services.ticket_pend,
    "resolve": services.ticket_resolve,
    "confirm": services.ticket_confirm,
    "close": services.ticket_close,
    "reopen": services.ticket_reopen,
}

Sweep = Callable[[], object]


class ImportLineInvalid(CloseloopError):
    """One line of an import file cannot be imported as it stands."""

    code = "import_line_invalid"


@dataclass(frozen=True)
class LineError:
    """Why one line was skipped."""

    line_number: int
    external_ref: str | None
    message: str

    def __str__(self) -> str:
        ref = f" ({self.external_ref})" if self.external_ref else ""
        return f"line {self.line_number}{ref}: {self.message}"


@dataclass
class ImportReport:
    """What an import did: lines imported, lines already imported before, lines skipped."""

    imported: int = 0
    already_imported: int = 0
    errors: list[LineError] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        """Lines that failed and left nothing behind."""
        return len(self.errors)

    def summary(self) -> str:
        """One line for people: ``imported N, skipped M`` (and the already imported ones)."""
        text = f"imported {self.imported}, skipped {self.skipped}"
        if self.already_imported:
            text += f", already imported {self.already_imported}"
        return text


class _Directory:
    """Agents by username and teams by code, read once per import (they do not change)."""

    def __init__(self) -> None:
        self._agents: dict[str, Agent] = {}
        self._teams: dict[str, Team] = {}

    def agent(self, username: object) -> Agent:
        if not isinstance(username, str) or not username:
            raise ImportLineInvalid(f"agent must be a username, not {username!r}")
        if username not in self._agents:
            agent = Agent.objects.select_related("user").filter(user__username=username).first()
            if agent is None:
                raise ImportLineInvalid(f"unknown agent {username!r}")
            self._agents[username] = agent
        return self._agents[username]

    def team(self, code: object) -> Team:
        if not isinstance(code, str) or not code:
            raise ImportLineInvalid(f"team must be a team code, not {code!r}")
        if code not in self._teams:
            team = Team.objects.filter(code=code).first()
            if team is None:
                raise ImportLineInvalid(f"unknown team {code!r}")
            self._teams[code] = team
        return self._teams[code]


def import_lines(lines: Iterable[str], *, sweep: Sweep | None = None) -> ImportReport:
    """Import JSON Lines (one ticket each); report what was imported and why lines failed.

    ``sweep`` is the SLA sweep (``closeloop.sla.services.sla_sweep``; passed in because tickets
    may not import sla). With it, warnings and breaches that fell between a ticket's steps are
    fired at the time the worker would have fired them, so the history holds them and the next
    worker run does not fire them again, now. What falls due after a ticket's last step is left
    to the worker.
    """
    report = ImportReport()
    directory = _Directory()
    started_at = clock.now()
    for line_number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        external_ref: str | None = None
        try:
            record = _load(text)
            if isinstance(record.get("external_ref"), str):
                external_ref = record["external_ref"]
            _validate(record)
            if Ticket.objects.filter(import_ref=external_ref).exists():
                report.already_imported += 1
                continue
            with transaction.atomic(), history_replay():
                _replay(record, directory=directory, latest=started_at, sweep=sweep)
        except CloseloopError as error:
            report.errors.append(LineError(line_number, external_ref, str(error.message)))
            continue
        except IntegrityError:
            # Another import stored the same external_ref between our check and our write.
            if not Ticket.objects.filter(import_ref=external_ref).exists():
                raise
            report.already_imported += 1
            continue
        report.imported += 1
    return report


def _load(text: str) -> dict[str, Any]:
    try:
        record = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportLineInvalid(f"not valid JSON: {error.msg} at column {error.colno}") from None
    if not isinstance(record, dict):
        raise ImportLineInvalid("a line must be one JSON object")
    return record


def _validate(record: dict[str, Any]) -> None:
    """Check the ticket's own fields (the steps are checked before the replay)."""
    _check_keys(record, TICKET_KEYS, where="ticket")
    missing = [key for key in REQUIRED_TICKET_KEYS if key not in record]
    if missing:
        raise ImportLineInvalid(f"missing field {', '.join(missing)}")
    if not isinstance(record["external_ref"], str) or not record["external_ref"].strip():
        raise ImportLineInvalid("external_ref must be a non-empty string")
    if not isinstance(record["customer"], dict):
        raise ImportLineInvalid("customer must be an object")
    _check_keys(record["customer"], CUSTOMER_KEYS, where="customer")
    _check_text(record, TICKET_KEYS - {"customer", "history"}, where="ticket")
    _check_text(record["customer"], CUSTOMER_KEYS, where="customer")
    if not isinstance(record.get("history", []), list):
        raise ImportLineInvalid("history must be a list")


def _check_keys(item: dict[str, Any], allowed: frozenset[str], *, where: str) -> None:
    # Unknown keys are refused: a typo ("priorty") would otherwise be dropped silently.
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise ImportLineInvalid(f"unknown field {', '.join(unknown)} in {where}")


def _check_text(item: dict[str, Any], keys: Iterable[str], *, where: str) -> None:
    # The services expect text; a number or a list would fail deep inside them.
    for key in keys:
        if key in item and item[key] is not None and not isinstance(item[key], str):
            raise ImportLineInvalid(f"{key} in {where} must be a string, not {item[key]!r}")


def _time(value: object, *, where: str) -> datetime:
    if not isinstance(value, str):
        raise ImportLineInvalid(f"{where}: time must be an ISO 8601 string")
    try:
        return clock.parse_instant(value)
    except ValueError as error:
        raise ImportLineInvalid(f"{where}: {error}") from None


def _steps(
    record: dict[str, Any], created_at: datetime, latest: datetime
) -> list[tuple[datetime, dict[str, Any]]]:
    """Check every step's shape and order before anything is written."""
    steps = []
    previous = created_at
    for index, step in enumerate(record.get("history", []), start=1):
        where = f"step {index}"
        if not isinstance(step, dict):
            raise ImportLineInvalid(f"{where}: a step must be an object")
        step_type = step.get("type")
        if step_type not in STEP_KEYS:
            raise ImportLineInvalid(
                f"{where}: type must be one of {', '.join(STEP_KEYS)}, not {step_type!r}"
            )
        if "at" not in step:
            raise ImportLineInvalid(f"{where} ({step_type}): missing field at")
        _check_keys(step, STEP_KEYS[step_type] | {"at", "type"}, where=where)
        _check_text(step, STEP_KEYS[step_type] - {"is_public", "level"}, where=where)
        at = _time(step["at"], where=f"{where} ({step_type})")
        if at < previous:
            raise ImportLineInvalid(
                f"{where} ({step_type}): at {step['at']} is earlier than the step before it"
            )
        if at > latest:
            raise ImportLineInvalid(f"{where} ({step_type}): at {step['at']} is in the future")
        steps.append((at, step))
        previous = at
    return steps


def _replay(
    record: dict[str, Any], *, directory: _Directory, latest: datetime, sweep: Sweep | None
) -> Ticket:
    created_at = _time(record["created_at"], where="created_at")
    if created_at > latest:
        raise ImportLineInvalid(f"created_at {record['created_at']} is in the future")
    steps = _steps(record, created_at, latest)
    team = directory.team(record["team"]) if record.get("team") else None
    related_to = None
    if record.get("related_to"):
        related_to = Ticket.objects.filter(import_ref=record["related_to"]).first()
        if related_to is None:
            raise ImportLineInvalid(f"related_to {record['related_to']!r} is not imported")
    channel = record["channel"]
    body_external_id = record.get("body_external_id")
    _refuse_taken_message_id(channel, body_external_id)
    with clock.frozen_at(created_at):
        customer = _customer(record["customer"])
        ticket = services.ticket_create(
            customer=customer,
            subject=record["subject"],
            body=record["body"],
            channel=channel,
            actor=Actor.customer(),
            kind=record.get("kind", "inquiry"),
            priority=record.get("priority", "medium"),
            touchpoint=record.get("touchpoint", "after_sale"),
            team=team,
            external_id=body_external_id,
            related_to=related_to,
        )
    Ticket.objects.filter(pk=ticket.pk).update(import_ref=record["external_ref"])
    previous = created_at
    for index, (at, step) in enumerate(steps, start=1):
        if sweep is not None:
            _sweep_between(ticket, previous, at, sweep)
        try:
            with clock.frozen_at(at):
                ticket = _apply(ticket, step, directory)
                if sweep is not None and step["type"] == "update":
                    # A new priority or kind re-derives the clocks under another policy, which
                    # can make a clock that already stopped late; the worker would see it now.
                    sweep()
        except CloseloopError as error:
            raise ImportLineInvalid(
                f"step {index} ({step['type']} at {step['at']}): {error.message}"
            ) from error
        previous = at
    return ticket


def _refuse_taken_message_id(channel: str, external_id: object) -> None:
    # The services return the earlier message for a known channel id (a retry); in an import
    # the same id on another ticket means the file is wrong, so say so instead.
    if not external_id:
        return
    taken = Message.objects.filter(channel=channel, external_id=external_id).first()
    if taken is not None:
        raise ImportLineInvalid(
            f"message id {external_id!r} on {channel} already belongs to ticket "
            f"{taken.ticket.number}"
        )


def _customer(block: dict[str, Any]) -> Customer:
    handles = {key: block[key] for key in CUSTOMER_HANDLES if block.get(key)}
    customer = customer_identify(**handles, name=block.get("name") or "")
    segment = block.get("segment")
    if segment and segment != customer.segment:
        customer = customer_set_segment(customer=customer, segment=segment)
    return customer


def _actor(step: dict[str, Any], directory: _Directory) -> Actor:
    if step.get("agent"):
        if step.get("by", AuthorKind.AGENT) != AuthorKind.AGENT:
            raise ImportLineInvalid(f"by {step['by']!r} contradicts agent {step['agent']!r}")
        return Actor.of_agent(directory.agent(step["agent"]))
    by = step.get("by", DEFAULT_ACTOR.get(step["type"], AuthorKind.SYSTEM))
    if by not in NON_AGENT_ACTORS:
        raise ImportLineInvalid(
            f"by must be customer, system or bot (or name the agent), not {by!r}"
        )
    return Actor(kind=AuthorKind(by))


def _apply(ticket: Ticket, step: dict[str, Any], directory: _Directory) -> Ticket:
    """Run one step through its service; return the ticket as the service left it."""
    step_type = step["type"]
    reason = step.get("reason") or ""
    if step_type == "message":
        return _apply_message(ticket, step, directory)
    if step_type == "assign":
        if not step.get("to") and not step.get("agent"):
            raise ImportLineInvalid("an assign step names the assignee in to (or agent)")
        assignee = directory.agent(step.get("to") or step["agent"])
        team = directory.team(step["team"]) if step.get("team") else None
        return services.ticket_assign(
            ticket=ticket,
            assignee=assignee,
            team=team,
            actor=_actor(step, directory),
            reason=reason,
        )
    if step_type == "escalate":
        level = step.get("level")
        if level is not None and (isinstance(level, bool) or not isinstance(level, int)):
            raise ImportLineInvalid(f"level must be a whole number, not {level!r}")
        to_agent = directory.agent(step["to"]) if step.get("to") else None
        return services.ticket_escalate(
            ticket=ticket,
            actor=_actor(step, directory),
            reason=reason,
            to_agent=to_agent,
            level=level,
        )
    if step_type == "update":
        changes = {name: step[name] for name in UPDATE_FIELDS if name in step}
        team = directory.team(step["team"]) if step.get("team") else None
        if not changes and team is None:
            raise ImportLineInvalid("an update step changes at least one field")
        return services.ticket_update(
            ticket=ticket, actor=_actor(step, directory), changes=changes, team=team, reason=reason
        )
    return LIFECYCLE_SERVICES[step_type](
        ticket=ticket, actor=_actor(step, directory), reason=reason
    )


def _apply_message(ticket: Ticket, step: dict[str, Any], directory: _Directory) -> Ticket:
    author = step.get("author")
    if author == AuthorKind.AGENT:
        if not step.get("agent"):
            raise ImportLineInvalid("a message by an agent names the agent")
        actor = Actor.of_agent(directory.agent(step["agent"]))
    elif author in NON_AGENT_ACTORS:
        if step.get("agent"):
            raise ImportLineInvalid(f"a message by the {author} names no agent")
        actor = Actor(kind=AuthorKind(author))
    else:
        raise ImportLineInvalid(f"author must be customer, agent, bot or system, not {author!r}")
    is_public = step.get("is_public", True)
    if not isinstance(is_public, bool):
        raise ImportLineInvalid(f"is_public must be true or false, not {is_public!r}")
    if author == AuthorKind.CUSTOMER and not is_public:
        raise ImportLineInvalid("a customer's message is always public")
    channel = step.get("channel") or ticket.channel
    _refuse_taken_message_id(channel, step.get("external_id"))
    message = services.message_add(
        ticket=ticket,
        body=step.get("body") or "",
        actor=actor,
        is_public=is_public,
        channel=channel,
        external_id=step.get("external_id"),
    )
    return message.ticket


def _sweep_between(ticket: Ticket, since: datetime, until: datetime, sweep: Sweep) -> None:
    """Fire the SLA warnings and breaches due before ``until`` the way the worker would have.

    The ticket's inbox summary holds the earliest warning and due time of its running clocks;
    when it is later than ``until``, no clock of the ticket can fire yet, which keeps the sweep
    off the common path. Otherwise sweep at those times (never before the previous step, so the
    history stays in order), and once more at ``until`` for later clocks the summary hides.
    """
    due = [at for at in (ticket.sla_warning_at, ticket.sla_due_at) if at is not None and at < until]
    if not due:
        return
    for instant in sorted({at for at in due if at > since} | {until}):
        with clock.frozen_at(instant):
            sweep()
