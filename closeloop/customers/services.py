"""Changing customers: recognising who wrote, and keeping one record across channels."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, models, transaction
from django.utils.translation import gettext as _

from closeloop.core import clock
from closeloop.core.errors import ConcurrentChange, InvalidInput
from closeloop.core.models import Organization
from closeloop.core.sql import aware, insert, insert_ignoring_conflicts, select, table
from closeloop.customers.identities import normalize_identity, refuse_control_characters
from closeloop.customers.models import Customer, CustomerMerge, Identity, IdentityKind, Segment

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
    proven: bool = False,
    reason: str = "",
) -> Customer:
    """Return the customer these handles belong to, creating or extending the record.

    Handles already owned by a customer identify them; handles not yet known are attached to
    that customer, so the next contact through another channel finds the same record. Handles
    owned by *different* customers are merged only when the channel vouches that they belong
    to one person (``proven``: a signed app identity, a visitor giving their phone in chat);
    then the others are merged into the first by precedence, with ``reason`` in the merge
    history. Otherwise the first by precedence wins and the others stay where they are.
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
            if proven and len(handles) > 1:
                _merge_owners(customer, handles, reason=reason or "identities proven together")
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
    "merged_into_id",
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


def customer_attach_unowned(
    *, customer: Customer, email: str | None = None, phone: str | None = None
) -> list[str]:
    """Add handles a customer claims to their record when no customer has them yet; return
    the kinds added. A handle someone else owns stays theirs: only proof merges records."""
    region = Organization.cached().default_phone_region
    raw = {IdentityKind.EMAIL: email, IdentityKind.PHONE: phone}
    now = clock.now()
    added = []
    for kind, value in raw.items():
        if not value or not str(value).strip():
            continue
        identity = Identity(
            customer=customer,
            kind=kind,
            value=normalize_identity(kind, value, default_region=region),
            created_at=now,
        )
        if insert_ignoring_conflicts([identity]):
            added.append(str(kind))
    return added


def _merge_owners(customer: Customer, handles: dict[str, str], *, reason: str) -> None:
    """Merge every other owner of these handles into ``customer``."""
    others = (
        Customer.objects.filter(
            identities__kind__in=list(handles), identities__value__in=list(handles.values())
        )
        .exclude(pk=customer.pk)
        .distinct()
    )
    for other in others:
        owned = {(i.kind, i.value) for i in other.identities.all()}
        if any((kind, value) in owned for kind, value in handles.items()):
            customer_merge(source=other, target=customer, reason=reason, merged_by="channel")


def _customer_relations() -> list[tuple[str, type[models.Model], str]]:
    """Every foreign key to Customer, from any app: (label, model, field name)."""
    relations = []
    for relation in Customer._meta.related_objects:
        model = relation.related_model
        field = relation.field
        if model in (Customer, CustomerMerge) or not relation.one_to_many:
            continue
        relations.append((f"{model._meta.label}.{field.name}", model, field.name))
    return relations


@transaction.atomic
def customer_merge(
    *, source: Customer, target: Customer, reason: str, merged_by: str = ""
) -> CustomerMerge:
    """Fold ``source`` into ``target``: its identities, tickets and everything else that
    points at it move over; the source record stays, marked, so the merge can be undone."""
    if source.pk == target.pk:
        raise InvalidInput(_("A customer cannot be merged into itself."))
    if source.merged_into_id is not None or target.merged_into_id is not None:
        raise InvalidInput(_("A customer that was merged away cannot take part in a merge."))
    moved: dict[str, list[int]] = {}
    for label, model, field_name in _customer_relations():
        rows = model._default_manager.filter(**{field_name: source})
        ids = list(rows.values_list("pk", flat=True))
        if ids:
            model._default_manager.filter(pk__in=ids).update(**{field_name: target})
            moved[label] = ids
    if not target.name and source.name:
        target.name = source.name
    rank = list(Segment.values)
    if rank.index(source.segment) < rank.index(target.segment):
        target.segment = source.segment  # a VIP stays a VIP after the merge
    if target.dedicated_agent_id is None:
        target.dedicated_agent_id = source.dedicated_agent_id
    target.save(update_fields=["name", "segment", "dedicated_agent", "updated_at"])
    source.merged_into = target
    source.save(update_fields=["merged_into", "updated_at"])
    return CustomerMerge.objects.create(
        source=source,
        target=target,
        reason=reason[:300],
        moved=moved,
        merged_by=merged_by[:150],
        created_at=clock.now(),
    )


@transaction.atomic
def customer_unmerge(*, merge: CustomerMerge, undone_by: str = "") -> Customer:
    """Undo a merge: what moved goes back to the source record, which is live again."""
    merge = CustomerMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise InvalidInput(_("This merge was already undone."))
    relations = {label: (model, field) for label, model, field in _customer_relations()}
    for label, ids in merge.moved.items():
        if label not in relations:
            continue
        model, field_name = relations[label]
        model._default_manager.filter(pk__in=ids, **{field_name: merge.target_id}).update(
            **{field_name: merge.source_id}
        )
    source = merge.source
    source.merged_into = None
    source.save(update_fields=["merged_into", "updated_at"])
    merge.undone_at = clock.now()
    merge.undone_by = undone_by[:150]
    merge.save(update_fields=["undone_at", "undone_by"])
    return source
