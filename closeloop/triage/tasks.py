"""Triage work run by ``closeloop worker``."""

from __future__ import annotations

from django_tasks import task


@task()
def triage_task(ticket_id: int) -> str:
    from closeloop.triage.services import triage_ticket

    record = triage_ticket(ticket_id)
    return "skipped" if record is None else ("needs_triage" if record.needs_triage else "triaged")


@task()
def reroute_task(agent_id: int) -> int:
    from closeloop.triage.services import reroute_open_chats

    return len(reroute_open_chats(agent_id))
