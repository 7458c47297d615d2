"""Changing customers: recognising who wrote, and keeping one record across channels."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils.translation import gettext as _

from closeloop.core import clock
from closeloop.core.errors import ConcurrentChange, InvalidInput
from closeloop.core.models import Organization
from closeloop.core.sql import aware, insert, insert_ignoring_conflicts, select, table
from closeloop.customers.identities import normalize_identity, refuse_control_characters
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
    refuse_control_characters(name, field="name")
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
            _("A customer needs at least one of email, phone, wechat_openid, app_user_id."),
            details={"field": "customer"},
        )
    for _attempt in range(3):
        customer = _identify_once(handles, name=name.strip())
        if customer is not None:
            return customer
    raise ConcurrentChange(
        _("Another request is registering the same customer; try again."),
        details={"field": "customer"},
    )


_CUSTOMER_COLUMNS = (
    "id",
    "name",
    "segment",
    "language",
    "dedicated_agent_id",
    "notes",
    "created_at",
    "updated_at",
)
_lookup_sql: dict[int, str] = {}


def _lookup(handles: dict[str, str]) -> dict[str, Customer]:
    """Which customer owns each known handle (one hand-compiled read: a hot path)."""
    sql = _lookup_sql.get(len(handles))
    if sql is None:
        columns = ", ".join(f"c.{column}" for column in _CUSTOMER_COLUMNS)
        matches = " OR ".join(["(i.kind = %s AND i.value = %s)"] * len(handles))
        sql = (
            f"SELECT i.kind, {columns} FROM {table(Identity)} i "  # noqa: S608
            f"JOIN {table(Customer)} c ON c.id = i.customer_id WHERE {matches}"
        )
        _lookup_sql[len(handles)] = sql
    params = [part for kind, value in handles.items() for part in (kind, value)]
    owners: dict[int, Customer] = {}
    known: dict[str, Customer] = {}
    for kind, *values in select(sql, params):
        values[-2:] = [aware(values[-2]), aware(values[-1])]
        customer = owners.get(values[0])
        if customer is None:
            customer = owners[values[0]] = Customer.from_db(
                DEFAULT_DB_ALIAS, _CUSTOMER_COLUMNS, values
            )
        known[kind] = customer
    return known


def _identify_once(handles: dict[str, str], *, name: str) -> Customer | None:
    """One attempt; None when a concurrent request took one of our handles first."""
    known = _lookup(handles)
    owner = next((known[kind] for kind in IDENTITY_PRECEDENCE if kind in known), None)
    now = clock.now()
    is_new = owner is None
    if owner is None:
        owner = Customer(name=name, segment=Segment.STANDARD, created_at=now)
        insert([owner])
    elif name and not owner.name:
        owner.name = name
        owner.save(update_fields=["name", "updated_at"])
    missing = [kind for kind in handles if kind not in known]
    if not missing:
        return owner
    # ON CONFLICT DO NOTHING instead of a savepoint: a handle another request registered
    # meanwhile is skipped without failing the caller's transaction.
    attached = insert_ignoring_conflicts(
        [
            Identity(customer=owner, kind=kind, value=handles[kind], created_at=now)
            for kind in missing
        ]
    )
    if attached == len(missing):
        return owner
    if is_new:
        # We lost the race for this person: undo our half of the record and read theirs.
        Identity.objects.filter(customer=owner).delete()
        owner.delete()
        return None
    return owner


@transaction.atomic
def customer_set_segment(*, customer: Customer, segment: str) -> Customer:
    """Move a customer to another value segment."""
    if segment not in Segment.values:
        raise InvalidInput(f"Unknown segment {segment!r}.", details={"field": "segment"})
    customer.segment = segment
    customer.save(update_fields=["segment", "updated_at"])
    return customer
