"""HMAC-SHA256 signatures: requests integrations send us (app, phone) and webhooks we send.

A signed request carries ``X-Closeloop-Key`` (which integration), ``X-Closeloop-Timestamp``
(Unix seconds) and ``X-Closeloop-Signature: sha256=<hex>`` over ``"<timestamp>.<body>"``.
A timestamp more than five minutes away is refused, so a captured request cannot be replayed
later; within that window the channel's own ids deduplicate.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

from django.utils.translation import gettext as _

from closeloop.core.errors import CloseloopError

TOLERANCE_SECONDS = 300
KEY_HEADER = "X-Closeloop-Key"
TIMESTAMP_HEADER = "X-Closeloop-Timestamp"
SIGNATURE_HEADER = "X-Closeloop-Signature"


class InvalidSignature(CloseloopError):
    """A signature is missing, wrong, or too old."""

    code = "invalid_signature"
    http_status = 403


def hmac_hex(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    """The headers that sign ``body`` (the key header is the caller's to add)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac_hex(secret, f"{stamp}.".encode() + body)
    return {TIMESTAMP_HEADER: str(stamp), SIGNATURE_HEADER: f"sha256={digest}"}


def verify(
    secret: str, body: bytes, headers: Mapping[str, str], *, now: float | None = None
) -> None:
    """Raise ``InvalidSignature`` unless ``headers`` sign ``body`` with ``secret``, recently."""
    stamp = headers.get(TIMESTAMP_HEADER, "")
    signature = headers.get(SIGNATURE_HEADER, "")
    if not stamp or not signature:
        raise InvalidSignature(_("The request is not signed."))
    try:
        seconds = int(stamp)
    except ValueError:
        raise InvalidSignature(_("The signature timestamp is not a number.")) from None
    current = time.time() if now is None else now
    if abs(current - seconds) > TOLERANCE_SECONDS:
        raise InvalidSignature(_("The signature timestamp is too far from now."))
    expected = "sha256=" + hmac_hex(secret, f"{seconds}.".encode() + body)
    if not hmac.compare_digest(expected, signature.strip()):
        raise InvalidSignature(_("The signature does not match."))


def verify_value(secret: str, value: str, signature: str) -> bool:
    """Whether ``signature`` is the hex HMAC of ``value`` (identity signatures)."""
    return bool(signature) and hmac.compare_digest(hmac_hex(secret, value.encode()), signature)
