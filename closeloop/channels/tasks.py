"""Channel work run by ``closeloop worker``: processing inbound payloads, sending replies,
and the sweeps that recover what a dead worker left behind and retry due deliveries."""

from __future__ import annotations

from django_tasks import task


@task()
def inbound_process_task(inbound_id: int) -> str:
    from closeloop.channels.pipeline import inbound_process

    return str(inbound_process(inbound_id).status)


@task()
def delivery_send_task(delivery_id: int) -> str | None:
    from closeloop.channels.delivery import delivery_send

    delivery = delivery_send(delivery_id)
    return None if delivery is None else str(delivery.status)


@task(queue_name="sweeps")
def inbound_recover_sweep() -> int:
    from closeloop.channels.pipeline import inbound_recover

    return inbound_recover()


@task(queue_name="sweeps")
def deliveries_retry_sweep() -> int:
    from closeloop.channels.delivery import deliveries_retry

    return deliveries_retry()
