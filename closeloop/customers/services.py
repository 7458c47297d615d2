"""Changing customers: recognising who wrote, and keeping one record across channels."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from closeloop.core import clock
from closeloop.core.errors import InvalidInput
from closeloop.core.models import Organization
from closeloop.customers.identities import normalize_identity
from closeloop.customers.models import Customer, Identity, IdentityKind, Segment

# Order matters: when handles point at different customers, the first one here decides.
IDENTITY_PRECEDENCE = (
    IdentityKind.APP,
    IdentityKind.WECHAT,
    IdentityKind.EMAIL,
    IdentityKind.PHONE,
    IdentityKind.CHAT_VISITOR,
)


def customer_identify(
    *,
    email: str | None = None,
    phone: str | None = None,
    wechat_openid: str | None = None,
    app_user_id: str | None = None,
    chat_visitor_id: str | None = None,
    name: str = "",
    default_region: str | None = None,
) -> Customer:
    """Return the customer these handles belong to, creating or extending the record.

    Handles already owned by a customer identify them; handles not yet known are attached to
    that customer, so the next contact through another channel finds the same record. Handles
    owned by *different* customers are not merged silently: the first by precedence wins and
    the others stay where they are (merging is an explicit action).
    """
    region = default_region or Organization.cached().default_phone_region
    raw: dict[str, str | None] = {
        IdentityKind.EMAIL: email,
        IdentityKind.PHONE: phone,
        IdentityKind.WECHAT: wechat_openid,
        IdentityKind.APP: app_user_id,
        IdentityKind.CHAT_VISITOR: chat_visitor_id,
    }
    handles = {
        kind: normalize_identity(kind, value, default_region=region)
        for kind, value in raw.items()
        if value is not None and str(value).strip()
    }
    if not handles:
        raise InvalidInput(
            "A customer needs at least one of email, phone, wechat_openid, app_user_id.",
            details={"field": "customer"},
        )
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return _identify_once(handles, name=name.strip())
        except IntegrityError:
            # Another request attached the same handle between our read and our insert;
            # reading again finds their row.
            continue
    return _identify_once(handles, name=name.strip())


def _identify_once(handles: dict[str, str], *, name: str) -> Customer:
    known = {
        identity.kind: identity
        for identity in Identity.objects.select_related("customer").filter(_handles_query(handles))
    }
    owner = next((known[kind].customer for kind in IDENTITY_PRECEDENCE if kind in known), None)
    now = clock.now()
    if owner is None:
        owner = Customer.objects.create(name=name, segment=Segment.STANDARD, created_at=now)
    elif name and not owner.name:
        owner.name = name
        owner.save(update_fields=["name", "updated_at"])
    missing = [kind for kind in handles if kind not in known]
    if missing:
        Identity.objects.bulk_create(
            Identity(customer=owner, kind=kind, value=handles[kind], created_at=now)
            for kind in missing
        )
    return owner


def _handles_query(handles: dict[str, str]):  # type: ignore[no-untyped-def]
    from django.db.models import Q

    query = Q()
    for kind, value in handles.items():
        query |= Q(kind=kind, value=value)
    return query


@transaction.atomic
def customer_set_segment(*, customer: Customer, segment: str) -> Customer:
    """Move a customer to another value segment."""
    if segment not in Segment.values:
        raise InvalidInput(f"Unknown segment {segment!r}.", details={"field": "segment"})
    customer.segment = segment
    customer.save(update_fields=["segment", "updated_at"])
    return customer
