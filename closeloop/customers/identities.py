"""Normalising the handles customers are recognised by (pure functions, no database)."""

from __future__ import annotations

import re

import phonenumbers
from django.utils.translation import gettext as _

from closeloop.core.errors import InvalidInput
from closeloop.customers.models import IdentityKind

# Deliberately loose: deliverability is the mail system's problem; we only need a stable key.
_EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MAX_LENGTH = 320


# NUL and the C0 controls other than tab, newline and carriage return never belong in text
# people typed; PostgreSQL refuses NUL outright, so they are refused here on both databases.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def refuse_control_characters(value: str, *, field: str) -> None:
    """Raise InvalidInput when ``value`` holds a NUL or another control character."""
    if _CONTROL_CHARACTERS.search(value):
        raise InvalidInput(
            _("%(field)s contains a control character.") % {"field": field},
            details={"field": field},
        )


def normalize_email(raw: str) -> str:
    """Return the email in the one form we store: trimmed and lower-cased."""
    value = raw.strip().lower()
    if not _EMAIL_SHAPE.match(value) or len(value) > _MAX_LENGTH:
        raise InvalidInput(
            _("%(value)s is not an email address.") % {"value": raw},
            details={"field": "email"},
        )
    return value


def normalize_phone(raw: str, *, default_region: str) -> str:
    """Return the phone number in E.164 (``+8613812345678``), reading local numbers in region."""
    try:
        parsed = phonenumbers.parse(raw, default_region.upper() or None)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise InvalidInput(
            _("%(value)s is not a valid phone number.") % {"value": raw},
            details={"field": "phone"},
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalize_opaque(raw: str, *, field: str) -> str:
    """Return an opaque channel id (openid, app user id, visitor id) trimmed, case kept."""
    value = raw.strip()
    if not value or len(value) > _MAX_LENGTH or any(ch.isspace() for ch in value):
        raise InvalidInput(
            _("%(value)s is not a valid identifier.") % {"value": raw}, details={"field": field}
        )
    return value


def normalize_identity(kind: str, raw: str, *, default_region: str) -> str:
    """Normalise ``raw`` for an identity of ``kind``."""
    refuse_control_characters(raw, field=kind)
    if kind == IdentityKind.EMAIL:
        return normalize_email(raw)
    if kind == IdentityKind.PHONE:
        return normalize_phone(raw, default_region=default_region)
    return normalize_opaque(raw, field=kind)
