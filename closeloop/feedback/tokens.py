"""Signed survey links: ``/survey/<token>/`` names one invitation and when the link expires.

The token is ``django.core.signing`` output (HMAC with the project's secret and a salt of its
own), so it cannot be forged or altered; the expiry is inside the signed value and checked
against ``closeloop.core.clock`` (not the wall clock) so tests can move time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _

from closeloop.core import clock
from closeloop.feedback.errors import SurveyLinkExpired, SurveyLinkInvalid

SALT = "closeloop.feedback.survey-link"


@dataclass(frozen=True)
class LinkClaims:
    """What a valid token says."""

    invitation_id: int
    expires_at: datetime


def token_make(*, invitation_id: int, expires_at: datetime) -> str:
    """A URL-safe signed token for one invitation, valid until ``expires_at``."""
    return signing.dumps(
        {"i": invitation_id, "e": int(expires_at.timestamp())}, salt=SALT, compress=True
    )


def token_read(token: str) -> LinkClaims:
    """The claims of a genuine, unexpired token; ``SurveyLinkInvalid`` / ``SurveyLinkExpired``."""
    try:
        claims = signing.loads(token, salt=SALT)
        invitation_id = int(claims["i"])
        expires = int(claims["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise SurveyLinkInvalid(_("This survey link is not valid.")) from None
    expires_at = datetime.fromtimestamp(expires, tz=UTC)
    if clock.now() >= expires_at:
        raise SurveyLinkExpired(
            _("This survey link has expired."), details={"expired_at": expires_at.isoformat()}
        )
    return LinkClaims(invitation_id=invitation_id, expires_at=expires_at)


def survey_url(token: str, score: int | None = None) -> str:
    """The absolute link the customer opens (one click with a ``score``)."""
    base = f"{settings.CLOSELOOP['PUBLIC_URL']}/survey/{token}/"
    return base if score is None else f"{base}{score}/"
