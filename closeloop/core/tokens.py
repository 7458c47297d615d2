"""API tokens: issue, look up, revoke. The clear token is shown once and never stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction

from closeloop.core import clock, sql
from closeloop.core.models import ApiToken

TOKEN_PREFIX = "cl_"  # noqa: S105 (a prefix, not a secret)
# Writing last_used_at on every request would serialise all API traffic on one row.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create a token for ``user``; return the row and the clear token (shown only now)."""
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=clear[:10], digest=_digest(clear), created_at=clock.now()
    )
    return token, clear


def api_token_user(clear: str) -> User | None:
    """Return the active user a clear token belongs to, or None."""
    if not clear.startswith(TOKEN_PREFIX):
        return None
    # Every API request passes here: compiled reads instead of the ORM (closeloop.core.sql).
    rows = sql.select(
        f"SELECT id, user_id, last_used_at FROM {sql.table(ApiToken)} "  # noqa: S608
        "WHERE digest = %s AND revoked_at IS NULL",
        [_digest(clear)],
    )
    if not rows:
        return None
    token_id, user_id, last_used_at = rows[0]
    try:
        user = sql.get(User, user_id)
    except User.DoesNotExist:
        return None
    if not user.is_active:
        return None
    now = clock.now()
    last_used_at = sql.aware(last_used_at)
    if last_used_at is None or now - last_used_at > LAST_USED_RESOLUTION:
        sql.update(ApiToken, token_id, {"last_used_at": now})
    return user


def api_token_revoke(*, token: ApiToken) -> None:
    """Revoke a token; requests with it are refused from now on."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=clock.now())
