"""Visitor tokens: who a chat visitor is, vouched for by our signature.

The server issues a token on a visitor's first ``hello``; the widget keeps it (localStorage
and a first-party cookie on the host page) and presents it on every reconnect, so the visitor
finds their conversation again. The token is signed with ``django.core.signing`` under its
own salt and bound to the widget it was issued for: a token made up by hand, altered, or
taken from another widget is refused.
"""

from __future__ import annotations

import re
import secrets

from django.core import signing
from django.utils.translation import gettext as _

from closeloop.core.errors import CloseloopError

SALT = "closeloop.channels.chat.visitor"
# Visitor ids are channel-layer group names and identity values: short, ASCII, no spaces.
VISITOR_ID = re.compile(r"^v_[0-9a-f]{24}$")


class InvalidVisitorToken(CloseloopError):
    """A visitor token that we did not sign (or signed for another widget)."""

    code = "invalid_token"
    http_status = 403


def visitor_token_issue(*, widget_key: str) -> tuple[str, str]:
    """Return (token, visitor_id) for a new visitor of the widget ``widget_key``."""
    visitor_id = "v_" + secrets.token_hex(12)
    return visitor_token_for(visitor_id=visitor_id, widget_key=widget_key), visitor_id


def visitor_token_for(*, visitor_id: str, widget_key: str) -> str:
    """The token that proves ``visitor_id`` on ``widget_key`` (tests and the benchmark)."""
    return signing.dumps({"v": visitor_id, "w": widget_key}, salt=SALT, compress=True)


def visitor_token_read(token: str, *, widget_key: str) -> str:
    """Return the visitor id a token proves; raise ``InvalidVisitorToken`` otherwise."""
    if not isinstance(token, str) or len(token) > 500:
        raise InvalidVisitorToken(_("The visitor token is not valid."))
    try:
        payload = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise InvalidVisitorToken(_("The visitor token is not valid.")) from None
    if not isinstance(payload, dict) or payload.get("w") != widget_key:
        raise InvalidVisitorToken(_("The visitor token belongs to another widget."))
    visitor_id = payload.get("v")
    if not isinstance(visitor_id, str) or not VISITOR_ID.match(visitor_id):
        raise InvalidVisitorToken(_("The visitor token is not valid."))
    return visitor_id
