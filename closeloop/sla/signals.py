"""Signals the sla app sends. Documented here, where they are sent from.

``sla_breached`` is sent after the transaction that recorded a breach commits, when the
policy says to notify, with ``ticket_id``, ``metric`` (first_response, next_response,
resolution) and ``agent_ids`` (the assignee and the team's leads; also listed in the
SLA_BREACHED event as ``notify_agent_ids``). Delivery to people (email, the workspace's live
notifications) connects here.
"""

from django.dispatch import Signal

sla_breached = Signal()
