"""WeChat's reply window: when an official account may send a customer-service message.

An official account cannot write to a user whenever it likes; each interaction of the user
opens a window in which it may send a few messages. How we read the rules:

* Each interaction is a *grant* that starts at its CreateTime (the user's own clock, as WeChat
  counts it):
  - a message the user sent (text, image, voice, location, link, video …):
    at most **5** messages within **48 hours** of it;
  - a menu click (``CLICK``, ``VIEW``) or a follow (``subscribe``):
    at most **3** messages within **one minute** of it.
* A message counts against a grant when we sent it (``Delivery.sent_at``) at or after the
  grant's start. A later interaction is a new grant with its own count, so a user who writes
  again gives the agent five more messages.
* A reply may go out while at least one grant is still open and has quota left.
* An ``unsubscribe`` closes every grant before it: WeChat no longer delivers to that user.

Counted from stored rows only (``InboundMessage.meta`` openid/msg_type/event/created, sent
``Delivery`` rows to the openid), so every web process and worker agrees. Two workers sending
to the same user at the very same moment could both pass the check; WeChat then refuses the
extra one itself (errcode 45047), which ends up ``Blocked`` all the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from closeloop.channels.models import Delivery, DeliveryStatus, InboundMessage
from closeloop.core import clock

MESSAGE_WINDOW = timedelta(hours=48)
MESSAGE_QUOTA = 5
EVENT_WINDOW = timedelta(minutes=1)
EVENT_QUOTA = 3
EVENT_GRANTS = frozenset({"subscribe", "CLICK", "VIEW"})
# The received_at bound of the query: CreateTime can be a little behind our clock.
_CLOCK_SLACK = timedelta(minutes=10)


@dataclass(frozen=True)
class Grant:
    """One interaction of the user and what it allows."""

    start: datetime
    end: datetime
    quota: int


@dataclass(frozen=True)
class Interaction:
    """The window-relevant facts of one stored message or event."""

    created: datetime
    msg_type: str
    event: str

    def grant(self) -> Grant | None:
        if self.msg_type == "event":
            if self.event not in EVENT_GRANTS:
                return None
            return Grant(self.created, self.created + EVENT_WINDOW, EVENT_QUOTA)
        return Grant(self.created, self.created + MESSAGE_WINDOW, MESSAGE_QUOTA)


def may_send(interactions: Iterable[Interaction], sent: Iterable[datetime], now: datetime) -> bool:
    """Whether one more message may go out at ``now`` (pure: the rules above, no database)."""
    ordered = sorted(interactions, key=lambda item: item.created)
    unfollowed = [item.created for item in ordered if item.event == "unsubscribe"]
    cutoff = unfollowed[-1] if unfollowed else None
    sent_times = sorted(sent)
    for interaction in ordered:
        if cutoff is not None and interaction.created <= cutoff:
            continue
        grant = interaction.grant()
        if grant is None or not grant.start <= now < grant.end:
            continue
        used = sum(1 for at in sent_times if at >= grant.start)
        if used < grant.quota:
            return True
    return False


def interactions_of(openid: str, *, app_id: str, now: datetime) -> list[Interaction]:
    """The user's interactions that may still hold an open grant at ``now``."""
    rows = InboundMessage.objects.filter(
        channel="wechat",
        meta__openid=openid,
        meta__app_id=app_id,
        received_at__gte=now - MESSAGE_WINDOW - _CLOCK_SLACK,
    ).values_list("meta", flat=True)
    found = []
    for meta in rows:
        created = meta.get("created")
        if not isinstance(created, int):
            continue
        found.append(
            Interaction(
                created=datetime.fromtimestamp(created, tz=UTC),
                msg_type=str(meta.get("msg_type", "")),
                event=str(meta.get("event", "")),
            )
        )
    return found


def sent_to(openid: str, *, since: datetime) -> list[datetime]:
    """When our messages to ``openid`` went out since ``since``."""
    return [
        at
        for at in Delivery.objects.filter(
            channel="wechat",
            recipient=openid,
            status=DeliveryStatus.SENT,
            sent_at__gte=since,
        ).values_list("sent_at", flat=True)
        if at is not None
    ]


def window_is_open(openid: str, *, app_id: str) -> bool:
    """Whether the account ``app_id`` may send ``openid`` a customer-service message now."""
    now = clock.now()
    interactions = interactions_of(openid, app_id=app_id, now=now)
    if not interactions:
        return False
    since = min(item.created for item in interactions)
    return may_send(interactions, sent_to(openid, since=since), now)
