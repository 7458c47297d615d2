"""Feedback work run by ``closeloop worker``: the sweeps that send due survey invitations and
start relationship NPS rounds, and survey webhooks."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="sweeps")
def invitations_send_sweep() -> int:
    from closeloop.feedback.invitations import invitations_send_due

    return invitations_send_due()


@task(queue_name="sweeps")
def relationship_rounds_sweep() -> int:
    from closeloop.feedback.invitations import relationship_rounds_due

    return relationship_rounds_due()


@task()
def response_webhooks_task(response_id: int) -> int:
    from closeloop.feedback.services import response_webhooks_send

    return response_webhooks_send(response_id=response_id)
