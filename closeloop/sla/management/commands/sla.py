"""``closeloop sla``: list calendars, compute due times, explain a ticket's clocks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from closeloop.core.clock import parse_instant
from closeloop.sla.models import Calendar
from closeloop.sla.policies import calendar_named


def _instant(raw: str) -> datetime:
    try:
        return parse_instant(raw)
    except ValueError as error:
        raise CommandError(f"--start: {error}") from None


class Command(BaseCommand):
    help = "Business calendars and due times: sla calendars | sla due … | sla explain TICKET"

    def add_arguments(self, parser: Any) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("calendars", help="list business calendars")
        due = actions.add_parser("due", help="print the due instant of a target")
        due.add_argument("--calendar", required=True)
        due.add_argument("--start", required=True, help="ISO 8601 instant with offset")
        amount = due.add_mutually_exclusive_group(required=True)
        amount.add_argument("--minutes", type=int)
        amount.add_argument("--working-days", type=int)
        explain = actions.add_parser("explain", help="show a ticket's SLA clocks")
        explain.add_argument("number", type=int, help="ticket number")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            self._run(action, **options)
        except DatabaseError:
            raise CommandError(
                "The database is not set up: run `closeloop migrate` first."
            ) from None

    def _run(self, action: str, **options: Any) -> None:
        if action == "calendars":
            for row in Calendar.objects.order_by("name"):
                holidays = (
                    f"holidays {row.holiday_country}" if row.holiday_country else "no holidays"
                )
                self.stdout.write(
                    f"{row.name:<16} {row.time_zone:<18} {holidays:<14} {row.description}"
                )
        elif action == "due":
            self._due(**options)
        else:
            self._explain(options["number"])

    def _due(
        self,
        *,
        calendar: str,
        start: str,
        minutes: int | None,
        working_days: int | None,
        **options: Any,
    ) -> None:
        business_calendar = calendar_named(calendar)
        if business_calendar is None:
            names = ", ".join(Calendar.objects.order_by("name").values_list("name", flat=True))
            raise CommandError(f"There is no calendar {calendar!r} (calendars: {names}).")
        instant = _instant(start)
        if minutes is not None:
            if minutes < 0:
                raise CommandError("--minutes must not be negative")
            due = business_calendar.add_minutes(instant, minutes)
        else:
            if working_days is None or working_days < 1:
                raise CommandError("--working-days must be at least 1")
            due = business_calendar.add_working_days(instant, working_days)
        self.stdout.write(due.isoformat())

    def _explain(self, number: int) -> None:
        from closeloop.tickets.models import Ticket

        ticket = Ticket.objects.filter(number=number).first()
        if ticket is None:
            raise CommandError(f"There is no ticket {number}.")
        self.stdout.write(f"Ticket {ticket.number}: policy {ticket.sla_policy_name or '-'}")
        for clock_row in ticket.clocks.order_by("metric"):
            state = (
                "stopped " + clock_row.stopped_at.isoformat()
                if clock_row.stopped_at
                else "paused since " + clock_row.paused_since.isoformat()
                if clock_row.paused_since
                else "running"
            )
            self.stdout.write(
                f"  {clock_row.metric:<15} started {clock_row.started_at.isoformat()}  "
                f"due {clock_row.due_at.isoformat()}  paused {clock_row.paused_minutes:.0f} min  "
                f"{state}  warned {bool(clock_row.warned_at)}  "
                f"breached {bool(clock_row.breached_at)}"
            )
