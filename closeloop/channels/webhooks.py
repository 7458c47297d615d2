"""Outbound HTTP calls to systems the operator configures (an app backend, an SMS gateway):
JSON bodies signed like the requests integrations send us (``signing.py``)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from closeloop.channels.adapters import PermanentFailure, RetryLater
from closeloop.channels.signing import KEY_HEADER, sign

TIMEOUT_SECONDS = 10


def post_signed(url: str, payload: dict[str, Any], *, secret: str, key: str = "") -> bytes:
    """POST ``payload`` as signed JSON; return the response body.

    A refused connection, a timeout, 429 or a 5xx answer is temporary (``RetryLater``); any
    other 4xx means the receiver will never take it (``PermanentFailure``).
    """
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", **sign(secret, body)}
    if key:
        headers[KEY_HEADER] = key
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return bytes(response.read())
    except urllib.error.HTTPError as error:
        if error.code == 429 or error.code >= 500:
            raise RetryLater(f"{url} answered {error.code}") from None
        raise PermanentFailure(f"{url} refused the request with {error.code}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
        raise RetryLater(f"{url} unreachable: {error}") from None
