"""Every new ticket is triaged: a task queued in the ticket's own transaction (one commit
with the database task backend), so intake stays fast and nothing is triaged that was
rolled back. Replayed history (imports) is not triaged."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from closeloop.core.jobs import enqueue_with_transaction
from closeloop.people.models import Agent, AgentSkill, Availability
from closeloop.tickets.models import EventType, Ticket, TicketEvent
from closeloop.tickets.signals import replaying_history, ticket_changed
from closeloop.triage.models import Category, CategorySkill, RoutingRule
from closeloop.triage.tasks import reroute_task, triage_task


@receiver(ticket_changed, sender=Ticket, dispatch_uid="triage.new_ticket")
def _triage_new_ticket(
    sender: Any, ticket: Ticket, events: list[TicketEvent], **kwargs: Any
) -> None:
    if replaying_history():
        return
    if any(event.type == EventType.CREATED for event in events):
        enqueue_with_transaction(triage_task, ticket.pk)


def _forget_cached(**_kwargs: Any) -> None:
    from closeloop.triage.services import clear_caches

    clear_caches()


# A rule, category or skill edited in this process applies at once; other processes pick
# the change up within the cache's few seconds.
for _model in (RoutingRule, Category, CategorySkill, AgentSkill):
    post_save.connect(_forget_cached, sender=_model, dispatch_uid=f"triage.cache.{_model.__name__}")
    post_delete.connect(
        _forget_cached, sender=_model, dispatch_uid=f"triage.cache.delete.{_model.__name__}"
    )


@receiver(pre_save, sender=Agent, dispatch_uid="triage.agent_offline")
def _agent_going_offline(sender: Any, instance: Agent, **kwargs: Any) -> None:
    """An agent set offline hands their open chats on (a task, after the change commits)."""
    if instance.pk is None or instance.availability != Availability.OFFLINE:
        return
    before = Agent.objects.filter(pk=instance.pk).values_list("availability", flat=True).first()
    if before is not None and before != Availability.OFFLINE:
        enqueue_with_transaction(reroute_task, instance.pk)
