"""Looking up a customer's order in the shop's order system (``OrderSource``): over HTTP with
a configurable URL, auth header and field mapping, or in the built-in demo orders.

An order is shown only to someone who names a contact on it (the email or phone the order
was placed with, or one of the signed-in customer's own): nobody can read another person's
order by guessing numbers. "Not found" and "not yours" look the same.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

from closeloop.core.errors import CloseloopError, InvalidInput
from closeloop.customers.identities import normalize_email, normalize_phone
from closeloop.portal.models import ORDER_FIELDS, OrderSource, OrderSourceKind

logger = logging.getLogger(__name__)

ORDER_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_RESPONSE_BYTES = 1_048_576
DEMO_NUMBER = re.compile(r"^DEMO-(\d{6})$", re.I)
DEMO_EMAIL = "demo@example.com"
DEMO_PHONE = "+8613800138000"
DEMO_STATUSES = ("paid", "shipped", "delivered", "refunded")


class OrderNotFound(CloseloopError):
    """No active source knows this order for this contact."""

    code = "order_not_found"
    http_status = 404


class OrderSourceUnavailable(CloseloopError):
    """The order system did not answer usefully (down, slow, or an unreadable answer)."""

    code = "order_source_unavailable"
    http_status = 503


@dataclass(frozen=True)
class Order:
    """One order as the portal shows it, whatever system it came from."""

    number: str
    status: str
    placed_at: str = ""
    items: list[dict[str, Any]] = field(default_factory=list)
    total: str = ""
    currency: str = ""
    tracking_number: str = ""
    carrier: str = ""
    estimated_delivery: str = ""
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    source: str = ""


def clean_order_number(raw: str) -> str:
    """The order number as typed, trimmed; InvalidInput when it cannot be one."""
    number = (raw or "").strip()
    if not ORDER_NUMBER.match(number):
        raise InvalidInput(
            str(_("Enter the order number as it appears on your confirmation.")),
            details={"field": "order_number"},
        )
    return number


def value_at(data: Any, path: str) -> Any:
    """The value at a dotted path (``order.buyer.email``, ``items.0.name``); None if absent."""
    current = data
    for part in path.split("."):
        if isinstance(current, Mapping):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
        if current is None:
            return None
    return current


def _text(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()[:200]


def _strings(value: Any) -> list[str]:
    if isinstance(value, list):
        return [_text(item) for item in value if _text(item)]
    text = _text(value)
    return [text] if text else []


def _items(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    items: list[dict[str, Any]] = []
    for entry in value[:50]:
        if isinstance(entry, Mapping):
            name = _text(entry.get("name") or entry.get("title") or entry.get("sku"))
            quantity = entry.get("quantity", entry.get("qty", 1))
            items.append({"name": name, "quantity": _text(quantity) or "1"})
        elif _text(entry):
            items.append({"name": _text(entry), "quantity": "1"})
    return items


def order_from_json(data: Any, mapping: Mapping[str, str], *, source: str = "") -> Order | None:
    """Read an order system's answer through the field mapping; None without a status."""
    paths = {name: str(mapping.get(name) or name) for name in ORDER_FIELDS}
    status = _text(value_at(data, paths["status"]))
    if not status:
        return None
    emails: list[str] = []
    for raw in _strings(value_at(data, paths["email"])):
        try:
            emails.append(normalize_email(raw))
        except InvalidInput:
            continue
    return Order(
        number=_text(value_at(data, paths["number"])),
        status=status,
        placed_at=_text(value_at(data, paths["placed_at"])),
        items=_items(value_at(data, paths["items"])),
        total=_text(value_at(data, paths["total"])),
        currency=_text(value_at(data, paths["currency"])),
        tracking_number=_text(value_at(data, paths["tracking_number"])),
        carrier=_text(value_at(data, paths["carrier"])),
        estimated_delivery=_text(value_at(data, paths["estimated_delivery"])),
        emails=tuple(emails),
        phones=tuple(_strings(value_at(data, paths["phone"]))),
        source=source,
    )


def contact_matches(
    order: Order, *, emails: Iterable[str] = (), phones: Iterable[str] = (), region: str = "CN"
) -> bool:
    """Whether one of the given contacts is on the order (emails and phones normalised)."""
    given_emails = {email.strip().lower() for email in emails if email and email.strip()}
    if given_emails & set(order.emails):
        return True
    given_phones = {_phone(phone, region) for phone in phones if phone}
    given_phones.discard("")
    order_phones = {_phone(phone, region) for phone in order.phones}
    order_phones.discard("")
    return bool(given_phones & order_phones)


def _phone(raw: str, region: str) -> str:
    try:
        return normalize_phone(raw, default_region=region)
    except InvalidInput:
        return ""


def demo_order_json(number: str) -> dict[str, Any] | None:
    """A deterministic demo order for DEMO-100001 … DEMO-199999; None for other numbers."""
    match = DEMO_NUMBER.match(number)
    if match is None:
        return None
    serial = int(match.group(1))
    if not 100001 <= serial <= 199999:
        return None
    status = DEMO_STATUSES[(serial - 100001) % len(DEMO_STATUSES)]
    placed = date(2026, 1, 1) + timedelta(days=serial % 300)
    order: dict[str, Any] = {
        "number": f"DEMO-{serial}",
        "status": status,
        "placed_at": placed.isoformat(),
        "items": [
            {"name": "Closeloop Smart Speaker", "quantity": 1 + serial % 2},
            {"name": "USB-C charging cable", "quantity": 1},
        ],
        "total": f"{199 + serial % 7 * 50}.00",
        "currency": "CNY",
        "email": DEMO_EMAIL,
        "phone": DEMO_PHONE,
    }
    if status in ("shipped", "delivered"):
        order["tracking_number"] = f"SF{serial:010d}"
        order["carrier"] = "SF Express"
    if status == "shipped":
        order["estimated_delivery"] = (placed + timedelta(days=3)).isoformat()
    return order


def fetch_order_json(source: OrderSource, number: str) -> Any | None:
    """GET one order from an HTTP source; None when it says there is no such order (404).

    Raises OrderSourceUnavailable for anything else that is not a JSON answer."""
    if source.kind == OrderSourceKind.DEMO:
        return demo_order_json(number)
    if "{order_number}" not in source.url_template:
        raise OrderSourceUnavailable(
            f"order source {source.name} has no {{order_number}} in its URL"
        )
    url = source.url_template.replace("{order_number}", urllib.parse.quote(number, safe=""))
    if not url.startswith(("http://", "https://")):
        raise OrderSourceUnavailable(f"order source {source.name} has no http(s) URL")
    headers = {"Accept": "application/json", "User-Agent": "Closeloop-portal"}
    if source.auth_header_name:
        headers[source.auth_header_name] = source.auth_header_value
    request = urllib.request.Request(url, headers=headers, method="GET")  # noqa: S310 (checked)
    try:
        with urllib.request.urlopen(request, timeout=source.timeout_seconds) as response:  # noqa: S310
            body = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise OrderSourceUnavailable(f"{source.name} answered HTTP {error.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise OrderSourceUnavailable(f"{source.name} unreachable: {error}") from None
    if len(body) > MAX_RESPONSE_BYTES:
        raise OrderSourceUnavailable(f"{source.name} answered more than {MAX_RESPONSE_BYTES} bytes")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise OrderSourceUnavailable(f"{source.name} did not answer JSON") from None


def order_find(
    number: str,
    *,
    emails: Iterable[str] = (),
    phones: Iterable[str] = (),
    region: str = "CN",
    sources: Iterable[OrderSource] | None = None,
) -> Order:
    """The order with this number in the first active source that has it for one of these
    contacts. OrderNotFound when none has it (or it is not theirs); OrderSourceUnavailable
    when no source had it and at least one could not be asked."""
    number = clean_order_number(number)
    emails, phones = list(emails), list(phones)
    if not emails and not phones:
        raise OrderNotFound(str(_("We could not find that order.")))
    unavailable: list[str] = []
    for source in sources if sources is not None else OrderSource.objects.filter(is_active=True):
        try:
            data = fetch_order_json(source, number)
        except OrderSourceUnavailable as error:
            logger.warning("Order lookup: %s", error)
            unavailable.append(source.name)
            continue
        if data is None:
            continue
        order = order_from_json(data, source.field_mapping or {}, source=source.name)
        if order is None:
            logger.warning("Order lookup: %s answered without a status", source.name)
            unavailable.append(source.name)
            continue
        if order.number and order.number.casefold() != number.casefold():
            continue
        if contact_matches(order, emails=emails, phones=phones, region=region):
            return order
        # The number exists, but not for this contact: the same answer as no such order.
        raise OrderNotFound(str(_("We could not find that order.")))
    if unavailable:
        raise OrderSourceUnavailable(
            str(_("The order system is not answering right now. Please try again later.")),
            details={"sources": unavailable},
        )
    raise OrderNotFound(str(_("We could not find that order.")))
