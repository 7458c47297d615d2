"""Calling WeChat's API: the access token and the customer-service message.

The access token lives two hours and getting a new one invalidates the old one (after a short
grace), so it is cached on the ``WeChatAccount`` row and refreshed under a row lock by whoever
finds it about to expire; the other workers then use the row's new token. WeChat answers every
call with HTTP 200 and ``{"errcode", "errmsg"}``; the codes decide what we do.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from typing import Any

from django.db import transaction

from closeloop.channels.adapters import Blocked, PermanentFailure, RetryLater
from closeloop.channels.models import WeChatAccount
from closeloop.core import clock

TIMEOUT_SECONDS = 10
# Refresh this long before WeChat's stated expiry, so no call goes out with a dying token.
REFRESH_AHEAD = timedelta(minutes=5)
# The token was invalid, expired or not the latest: get a new one and try once more.
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
# Outside the reply window (45015) or too many messages in it (45047).
WINDOW_ERRCODES = frozenset({45015, 45047})
SYSTEM_BUSY = -1
# Too many API calls today (45009) or per minute by the account (45011): a later try can pass.
RATE_ERRCODES = frozenset({45009, 45011})


class TokenRejected(Exception):  # noqa: N818 - an outcome, handled by the caller
    """WeChat refused the access token we sent: refresh it and retry once."""


def _call(url: str, *, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """GET (or POST ``payload`` as JSON to) one WeChat endpoint; return its JSON answer."""
    data = None
    headers = {"Accept": "application/json"}
    if payload is not None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        headers["Content-Type"] = "application/json; charset=utf-8"
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - https API
    shown = url.split("?", 1)[0]  # never log the secret or the token
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            body = response.read()
    except urllib.error.HTTPError as error:
        if error.code == 429 or error.code >= 500:
            raise RetryLater(f"{shown} answered {error.code}") from None
        raise PermanentFailure(f"{shown} refused the request with {error.code}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
        raise RetryLater(f"{shown} unreachable: {error}") from None
    try:
        answer = json.loads(body)
    except ValueError:
        raise RetryLater(f"{shown} answered something that is not JSON") from None
    if not isinstance(answer, dict):
        raise RetryLater(f"{shown} answered something that is not a JSON object")
    return answer


def _errcode(answer: dict[str, Any]) -> int:
    try:
        return int(answer.get("errcode") or 0)
    except (TypeError, ValueError):
        return SYSTEM_BUSY


def _describe(answer: dict[str, Any]) -> str:
    return f"WeChat error {_errcode(answer)}: {answer.get('errmsg', '')}"[:500]


def _fetch_token(account: WeChatAccount) -> tuple[str, int]:
    query = urllib.parse.urlencode(
        {"grant_type": "client_credential", "appid": account.app_id, "secret": account.app_secret}
    )
    answer = _call(f"{account.api_base.rstrip('/')}/cgi-bin/token?{query}")
    code = _errcode(answer)
    token = answer.get("access_token")
    if code == 0 and isinstance(token, str) and token:
        try:
            expires_in = int(answer.get("expires_in") or 7200)
        except (TypeError, ValueError):
            expires_in = 7200
        return token, expires_in
    if code == SYSTEM_BUSY or code in RATE_ERRCODES:
        raise RetryLater(_describe(answer))
    # Wrong AppSecret (40125), AppID (40013), our IP not whitelisted (40164): a person must fix it.
    raise PermanentFailure(f"cannot get an access token: {_describe(answer)}")


def access_token(account: WeChatAccount, *, rejected: str = "") -> str:
    """A valid access token of ``account``: the cached one, or a new one when it is about to
    expire or WeChat just ``rejected`` it (unless another worker already replaced that one)."""
    now = clock.now()
    with transaction.atomic():
        locked = WeChatAccount.objects.select_for_update().get(pk=account.pk)
        cached = locked.access_token
        is_fresh = (
            bool(cached)
            and locked.access_token_expires_at is not None
            and locked.access_token_expires_at - REFRESH_AHEAD > now
        )
        if is_fresh and cached != rejected:
            account.access_token = cached
            account.access_token_expires_at = locked.access_token_expires_at
            return cached
        token, expires_in = _fetch_token(locked)
        locked.access_token = token
        locked.access_token_expires_at = now + timedelta(seconds=expires_in)
        locked.save(update_fields=["access_token", "access_token_expires_at"])
    account.access_token = locked.access_token
    account.access_token_expires_at = locked.access_token_expires_at
    return token


def _send_once(account: WeChatAccount, token: str, payload: dict[str, Any]) -> dict[str, Any]:
    query = urllib.parse.urlencode({"access_token": token})
    answer = _call(
        f"{account.api_base.rstrip('/')}/cgi-bin/message/custom/send?{query}", payload=payload
    )
    code = _errcode(answer)
    if code == 0:
        return answer
    if code in TOKEN_ERRCODES:
        raise TokenRejected(_describe(answer))
    if code in WINDOW_ERRCODES:
        raise Blocked(_describe(answer))
    if code == SYSTEM_BUSY or code in RATE_ERRCODES:
        raise RetryLater(_describe(answer))
    raise PermanentFailure(_describe(answer))


def custom_message_send(account: WeChatAccount, *, openid: str, text: str) -> dict[str, Any]:
    """Send a text customer-service message; return WeChat's answer.

    Raises ``Blocked`` (outside the window by WeChat's own count), ``RetryLater`` or
    ``PermanentFailure``; a rejected token is refreshed and the call retried once.
    """
    payload = {"touser": openid, "msgtype": "text", "text": {"content": text}}
    token = access_token(account)
    try:
        return _send_once(account, token, payload)
    except TokenRejected:
        token = access_token(account, rejected=token)
    try:
        return _send_once(account, token, payload)
    except TokenRejected as error:
        raise RetryLater(f"the new access token was refused too: {error}") from None
