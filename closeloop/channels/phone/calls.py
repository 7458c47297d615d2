"""A call record from a PBX or call-centre system: its fields, the checks it must pass, and
the line of text a ticket shows for it.

The same reader checks the request (in the HTTP handler, before anything is stored) and the
stored raw body (in the adapter, in the worker), so both sides agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field

from closeloop.channels import pipeline
from closeloop.channels.models import InboundMessage, Integration
from closeloop.core import clock
from closeloop.core.errors import CloseloopError, InvalidInput
from closeloop.core.models import Organization
from closeloop.customers.identities import normalize_phone

# A PBX clock a little ahead of ours is normal; a call starting far in the future is a bug.
CLOCK_SKEW = timedelta(minutes=5)
MAX_CALL_LENGTH = timedelta(hours=24)


class InvalidTimestamp(CloseloopError):
    """A call time is not ISO 8601 with a UTC offset, or lies in the future."""

    code = "invalid_timestamp"
    http_status = 400


class InvalidCallTimes(CloseloopError):
    """The call times are out of order (answered before it started, ended before that)."""

    code = "invalid_call_times"
    http_status = 400


class InvalidPhoneNumber(CloseloopError):
    """The customer's number is not a phone number."""

    code = "invalid_phone_number"
    http_status = 400


class CallIn(BaseModel):
    """One finished call, as the phone system reports it (once, when the call has ended)."""

    model_config = ConfigDict(extra="ignore")

    call_id: str = Field(..., min_length=1, max_length=190, description="The PBX's id: dedupe.")
    direction: Literal["inbound", "outbound"]
    caller: str = Field(..., min_length=1, max_length=40)
    callee: str = Field(..., min_length=1, max_length=40)
    started_at: str = Field(..., description="ISO 8601 with offset: 2026-03-02T09:15:00+08:00")
    answered_at: str | None = Field(None, description="Absent or null: nobody answered.")
    ended_at: str | None = None
    agent: str | None = Field(None, max_length=150, description="Username or agent id.")
    ivr_choice: str | None = Field(None, max_length=100)
    recording_url: str | None = Field(None, max_length=2000)
    transcript: str | None = Field(None, max_length=200_000)


@dataclass(frozen=True)
class Call:
    """A checked call record: times parsed, the customer's number in E.164."""

    call_id: str
    direction: str
    customer_number: str  # the caller of an inbound call, the callee of an outbound one
    our_number: str  # our line or extension, as the PBX names it
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    agent: str
    ivr_choice: str
    recording_url: str
    transcript: str

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    @property
    def talk_seconds(self) -> int | None:
        if self.answered_at is None or self.ended_at is None:
            return None
        return int((self.ended_at - self.answered_at).total_seconds())

    @property
    def wait_seconds(self) -> int | None:
        """Ringing (and IVR) time before someone answered, or before the caller gave up."""
        end = self.answered_at or self.ended_at
        return None if end is None else int((end - self.started_at).total_seconds())


def _instant(raw: str | None, *, field: str) -> datetime | None:
    if raw is None or not raw.strip():
        return None
    try:
        instant = clock.parse_instant(raw.strip())
    except ValueError as error:
        raise InvalidTimestamp(str(error), details={"field": field}) from None
    if instant > clock.now() + CLOCK_SKEW:
        raise InvalidTimestamp(
            _("%(field)s is in the future.") % {"field": field}, details={"field": field}
        )
    return instant


def _check_order(started: datetime, answered: datetime | None, ended: datetime | None) -> None:
    steps = [("started_at", started), ("answered_at", answered), ("ended_at", ended)]
    present = [(name, value) for name, value in steps if value is not None]
    for (earlier_name, earlier), (later_name, later) in zip(present, present[1:], strict=False):
        if later < earlier:
            raise InvalidCallTimes(
                _("%(later)s is before %(earlier)s.")
                % {"later": later_name, "earlier": earlier_name},
                details={"field": later_name},
            )
    if ended is not None and ended - started > MAX_CALL_LENGTH:
        raise InvalidCallTimes(
            _("The call lasts more than 24 hours."), details={"field": "ended_at"}
        )


def call_check(record: CallIn) -> Call:
    """Check a call record; raise a 400 error with a stable code naming the bad field."""
    started = _instant(record.started_at, field="started_at")
    if started is None:
        raise InvalidTimestamp(_("started_at is required."), details={"field": "started_at"})
    answered = _instant(record.answered_at, field="answered_at")
    ended = _instant(record.ended_at, field="ended_at")
    _check_order(started, answered, ended)
    inbound = record.direction == "inbound"
    customer_field, our_field = ("caller", "callee") if inbound else ("callee", "caller")
    raw_number = getattr(record, customer_field)
    try:
        number = normalize_phone(
            raw_number, default_region=Organization.cached().default_phone_region
        )
    except InvalidInput:
        raise InvalidPhoneNumber(
            _("%(value)s is not a valid phone number.") % {"value": raw_number},
            details={"field": customer_field},
        ) from None
    recording_url = (record.recording_url or "").strip()
    if recording_url and not recording_url.startswith(("https://", "http://")):
        raise InvalidInput(
            _("recording_url must be an http(s) URL."), details={"field": "recording_url"}
        )
    return Call(
        call_id=record.call_id.strip(),
        direction=record.direction,
        customer_number=number,
        our_number=getattr(record, our_field).strip(),
        started_at=started,
        answered_at=answered,
        ended_at=ended,
        agent=(record.agent or "").strip(),
        ivr_choice=(record.ivr_choice or "").strip(),
        recording_url=recording_url,
        transcript=(record.transcript or "").strip(),
    )


def duration_text(seconds: int | None) -> str:
    if seconds is None:
        return _("unknown length")
    minutes, rest = divmod(max(seconds, 0), 60)
    if minutes:
        return _("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": rest}
    return _("%(seconds)d s") % {"seconds": rest}


def call_summary(call: Call, *, agent_name: str = "") -> str:
    """One line saying what happened on the call, for a ticket whose call has no transcript."""
    values = {
        "number": call.customer_number,
        "agent": agent_name or call.agent or _("an agent"),
        "duration": duration_text(call.talk_seconds),
        "wait": duration_text(call.wait_seconds),
    }
    if call.direction == "outbound":
        if call.is_answered:
            return _("Outbound call to %(number)s by %(agent)s, %(duration)s.") % values
        return _("Outbound call to %(number)s by %(agent)s: no answer.") % values
    if not call.is_answered:
        line = _("Missed call from %(number)s (hung up after %(wait)s). Call back.") % values
    else:
        line = _("Call from %(number)s answered by %(agent)s, %(duration)s.") % values
    if call.ivr_choice:
        line += " " + _("IVR choice: %(choice)s.") % {"choice": call.ivr_choice}
    return line


def call_meta(call: Call, *, integration_key: str, agent_id: int | None) -> dict[str, Any]:
    """The call record kept on the ticket's message (Message.meta["call"])."""
    return {
        "call": {
            "integration": integration_key,
            "call_id": call.call_id,
            "direction": call.direction,
            "customer_number": call.customer_number,
            "our_number": call.our_number,
            "started_at": call.started_at.isoformat(),
            "answered_at": call.answered_at.isoformat() if call.answered_at else None,
            "ended_at": call.ended_at.isoformat() if call.ended_at else None,
            "answered": call.is_answered,
            "talk_seconds": call.talk_seconds,
            "wait_seconds": call.wait_seconds,
            "agent": call.agent or None,
            "agent_id": agent_id,
            "ivr_choice": call.ivr_choice or None,
            "recording_url": call.recording_url or None,
            "has_transcript": bool(call.transcript),
        }
    }


def call_store(
    integration: Integration,
    record: CallIn,
    *,
    raw: bytes,
    content_type: str | None,
    remote_addr: str = "",
) -> tuple[InboundMessage, bool]:
    """Check a call record, then store it raw for the worker; return (row, created)."""
    call = call_check(record)
    return pipeline.inbound_store(
        channel="phone",
        external_id=f"{integration.key}:{call.call_id}",
        raw=raw,
        content_type=content_type or "application/json",
        meta={
            "integration": integration.key,
            "direction": call.direction,
            "customer_number": call.customer_number,
            "remote_addr": remote_addr,
        },
    )
