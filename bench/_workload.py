"""Seeded, realistic intake: who writes, through which channel, about what.

Shared by the ``create`` benchmark (service layer) and the ``api`` benchmark (HTTP payloads),
so both measure the same mix. Pure Python: no Django imports.
"""

from __future__ import annotations

import random
from typing import Any

# Shares of a Chinese consumer service desk's intake (DESIGN.md's channels).
CHANNEL_WEIGHTS = {
    "email": 30,
    "chat": 20,
    "wechat": 20,
    "app": 12,
    "phone": 8,
    "portal": 6,
    "api": 4,
}
KIND_WEIGHTS = {"inquiry": 50, "request": 20, "complaint": 12, "incident": 10, "feedback": 8}
PRIORITY_WEIGHTS = {"medium": 60, "low": 25, "high": 15}
TOUCHPOINT_WEIGHTS = {"after_sale": 55, "pre_sale": 20, "in_sale": 15, "maintenance": 10}
# The handle each channel recognises its customer by (web chat asks for an email).
HANDLE_BY_CHANNEL = {
    "email": "email",
    "chat": "email",
    "portal": "email",
    "api": "email",
    "wechat": "wechat_openid",
    "app": "app_user_id",
    "phone": "phone",
}
SUBJECTS = (
    "Order {n} has not arrived",
    "Refund for order {n}",
    "Cannot log in to the app",
    "Invoice for order {n}",
    "Product stopped working after update",
    "Question about warranty",
    "Change delivery address for order {n}",
    "Feedback on the new checkout",
)
BODY = (
    "Hello, I placed order {n} last week and I have a question about it. The tracking page "
    "has not changed for three days and nobody answered my previous message. Could you tell "
    "me when it will arrive, or how I can get my money back if it is lost? Thank you."
)


def handle_value(kind: str, number: int) -> str:
    """The handle of customer ``number`` for an identity ``kind`` (unique per number)."""
    if kind == "email":
        return f"customer{number}@example.com"
    if kind == "phone":
        return f"138{number:08d}"
    if kind == "wechat_openid":
        return f"oBench{number:012d}"
    return f"app-user-{number}"


class Intake:
    """A seeded stream of incoming contacts; a share of them come from returning customers.

    ``stride`` and ``offset`` let several streams (one per client thread) use disjoint
    customer numbers.
    """

    def __init__(
        self, *, seed: int, returning_share: float = 0.3, stride: int = 1, offset: int = 0
    ) -> None:
        # Not security-sensitive: a seeded generator makes every run send the same contacts.
        self.generator = random.Random(seed)
        self.returning_share = returning_share
        self.stride = stride
        self.offset = offset
        self.customers = 0

    def _pick(self, weights: dict[str, int]) -> str:
        return self.generator.choices(list(weights), weights=list(weights.values()))[0]

    def next(self) -> dict[str, Any]:
        """The next contact, shaped like the API's ``TicketCreateIn`` payload."""
        if self.customers and self.generator.random() < self.returning_share:
            number = self.generator.randrange(self.customers) * self.stride + self.offset
        else:
            number = self.customers * self.stride + self.offset
            self.customers += 1
        channel = self._pick(CHANNEL_WEIGHTS)
        order = 100_000 + number
        return {
            "subject": self.generator.choice(SUBJECTS).format(n=order),
            "body": BODY.format(n=order),
            "channel": channel,
            "kind": self._pick(KIND_WEIGHTS),
            "priority": self._pick(PRIORITY_WEIGHTS),
            "touchpoint": self._pick(TOUCHPOINT_WEIGHTS),
            "customer": {
                HANDLE_BY_CHANNEL[channel]: handle_value(HANDLE_BY_CHANNEL[channel], number),
                "name": f"Customer {number}",
            },
        }
