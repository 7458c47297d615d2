"""Finding the integration (app backend, phone system) a signed request comes from."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _

from closeloop.channels.models import Integration
from closeloop.channels.signing import KEY_HEADER, InvalidSignature


def integration_for(request: HttpRequest, kind: str) -> Integration:
    """The enabled integration of this kind that the request names in its key header."""
    key = request.headers.get(KEY_HEADER, "").strip()
    integration = (
        Integration.objects.filter(key=key, kind=kind, enabled=True).first() if key else None
    )
    if integration is None:
        raise InvalidSignature(_("Unknown or disabled integration key."))
    return integration
