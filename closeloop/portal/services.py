"""Changing things from the portal: one-time sign-in links, submitted forms (through the
channel pipeline), order lookups and the self-service successes they count."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from closeloop.channels.adapters import PermanentFailure, RetryLater
from closeloop.channels.models import InboundMessage
from closeloop.channels.pipeline import inbound_receive_now
from closeloop.core import clock
from closeloop.core.errors import CloseloopError
from closeloop.core.models import Organization
from closeloop.customers.identities import normalize_email
from closeloop.customers.models import Customer, Identity, IdentityKind
from closeloop.customers.services import customer_identify
from closeloop.knowledge.models import Article, SelfServiceKind, SelfServiceSuccess
from closeloop.portal.mail import configured_route, portal_mail_send
from closeloop.portal.models import PortalLoginToken
from closeloop.portal.orders import Order, order_find
from closeloop.portal.payload import CHANNEL, PortalSubmission, submission_bytes

logger = logging.getLogger(__name__)

LINK_LIFETIME = timedelta(minutes=15)
# At most this many links per email address, and per requesting address, in RATE_WINDOW.
LINKS_PER_EMAIL = 3
LINKS_PER_ADDRESS = 10
RATE_WINDOW = timedelta(hours=1)


class SignInLinkInvalid(CloseloopError):
    """The link is not one we sent (mistyped, forged)."""

    code = "signin_link_invalid"
    http_status = 400


class SignInLinkExpired(CloseloopError):
    """The link was used already, or is older than its lifetime."""

    code = "signin_link_expired"
    http_status = 410


class TooManyRequests(CloseloopError):
    """Too many sign-in links asked for in a short time."""

    code = "rate_limited"
    http_status = 429


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def signin_url(token: str) -> str:
    """The link a sign-in mail carries."""
    return f"{settings.CLOSELOOP['PUBLIC_URL']}/signin/{token}"


@dataclass(frozen=True)
class SignInRequest:
    """What happened to a request for a sign-in link (the page shows the same either way)."""

    sent: bool  # a mail went out
    logged: bool  # no SMTP server: the link was written to the log instead


def signin_link_request(*, email: str, remote_addr: str, language: str = "en") -> SignInRequest:
    """Create a one-time sign-in link for ``email`` and mail it (or log it where no SMTP
    server is configured). Known and unknown addresses are treated alike; TooManyRequests
    when the address or the requester asked too often."""
    address = normalize_email(email)
    requester = _digest(f"{settings.SECRET_KEY}:{remote_addr}") if remote_addr else ""
    now = clock.now()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        since = now - RATE_WINDOW
        recent = PortalLoginToken.objects.filter(created_at__gte=since)
        if recent.filter(email=address).count() >= LINKS_PER_EMAIL or (
            requester and recent.filter(requested_from=requester).count() >= LINKS_PER_ADDRESS
        ):
            raise TooManyRequests(
                _("Too many sign-in links were asked for. Please wait a while and try again.")
            )
        PortalLoginToken.objects.create(
            email=address,
            digest=_digest(token),
            requested_from=requester,
            created_at=now,
            expires_at=now + LINK_LIFETIME,
        )
    link = signin_url(token)
    route = configured_route()
    if route is None:
        logger.info("No SMTP server is configured; sign-in link for %s: %s", address, link)
        return SignInRequest(sent=False, logged=True)
    with override(language):
        subject = _("Your sign-in link")
        body = _(
            "Hello,\n\nOpen this link to sign in to %(site)s and see your requests:\n%(link)s\n\n"
            "The link works once, for %(minutes)d minutes. If you did not ask for it, ignore "
            "this mail.\n"
        ) % {
            "site": Organization.cached().name or "Closeloop",
            "link": link,
            "minutes": int(LINK_LIFETIME.total_seconds() // 60),
        }
    try:
        portal_mail_send(route, to=address, subject=subject, body=body)
    except (RetryLater, PermanentFailure) as error:
        logger.warning("Sign-in mail to %s not sent: %s", address, error)
        return SignInRequest(sent=False, logged=False)
    return SignInRequest(sent=True, logged=False)


def signin_link_check(*, token: str) -> PortalLoginToken:
    """The link's row if it can still be used; SignInLinkInvalid / SignInLinkExpired as
    ``signin_link_redeem`` would raise, changing nothing."""
    row = (
        PortalLoginToken.objects.filter(digest=_digest(token)).first()
        if token and len(token) <= 100
        else None
    )
    if row is None:
        raise SignInLinkInvalid(_("This sign-in link is not valid."))
    if row.used_at is not None or row.expires_at <= clock.now():
        raise SignInLinkExpired(_("This sign-in link has expired or was used already."))
    return row


@transaction.atomic
def signin_link_redeem(*, token: str) -> tuple[Customer, str]:
    """Use a sign-in link once: return the customer (created if new) and their email.

    SignInLinkInvalid for a link we never issued; SignInLinkExpired for one used or too old.
    Nothing changes when the link is refused."""
    if not token or len(token) > 100:
        raise SignInLinkInvalid(_("This sign-in link is not valid."))
    row = PortalLoginToken.objects.select_for_update().filter(digest=_digest(token)).first()
    if row is None:
        raise SignInLinkInvalid(_("This sign-in link is not valid."))
    now = clock.now()
    if row.used_at is not None or row.expires_at <= now:
        raise SignInLinkExpired(_("This sign-in link has expired or was used already."))
    claimed = PortalLoginToken.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now)
    if claimed != 1:
        raise SignInLinkExpired(_("This sign-in link has expired or was used already."))
    customer = customer_identify(email=row.email, reason="portal sign-in")
    return customer_current(customer), row.email


def customer_current(customer: Customer) -> Customer:
    """The record a customer lives on now (merges move everything to the target)."""
    seen: set[int] = set()
    while customer.merged_into_id is not None and customer.pk not in seen:
        seen.add(customer.pk)
        customer = Customer.objects.get(pk=customer.merged_into_id)
    return customer


def customer_contacts(customer: Customer) -> tuple[list[str], list[str]]:
    """The customer's emails and phones (to match an order's contact)."""
    emails: list[str] = []
    phones: list[str] = []
    for kind, value in Identity.objects.filter(
        customer=customer, kind__in=[IdentityKind.EMAIL, IdentityKind.PHONE]
    ).values_list("kind", "value"):
        (emails if kind == IdentityKind.EMAIL else phones).append(value)
    return emails, phones


@transaction.atomic
def self_service_record(
    *,
    kind: str,
    customer: Customer | None = None,
    article: Article | None = None,
    reference: str = "",
    channel: str = CHANNEL,
) -> SelfServiceSuccess:
    """Count one self-service success (an order looked up, a request followed up)."""
    return SelfServiceSuccess.objects.create(
        kind=SelfServiceKind(kind),
        channel=channel,
        customer=customer,
        article=article,
        reference=reference[:100],
        created_at=clock.now(),
    )


def portal_order_lookup(
    *,
    number: str,
    email: str = "",
    phone: str = "",
    customer: Customer | None = None,
) -> Order:
    """Find an order for the contact given (or the signed-in customer's) and count the
    success. OrderNotFound / OrderSourceUnavailable / InvalidInput otherwise."""
    emails = [email] if email else []
    phones = [phone] if phone else []
    if customer is not None:
        own_emails, own_phones = customer_contacts(customer)
        emails += own_emails
        phones += own_phones
    order = order_find(
        number,
        emails=emails,
        phones=phones,
        region=Organization.cached().default_phone_region,
    )
    self_service_record(
        kind=SelfServiceKind.ORDER_LOOKUP, customer=customer, reference=order.number or number
    )
    return order


def portal_submit(
    *, submission: PortalSubmission, nonce: str, remote_addr: str = ""
) -> InboundMessage:
    """Store and process one submitted form through the channel pipeline, keyed by the form's
    one-time nonce: submitting the same form twice stores one message."""
    return inbound_receive_now(
        channel=CHANNEL,
        external_id=f"{submission.type}:{nonce}",
        raw=submission_bytes(submission),
        content_type="application/json",
        meta={"remote_addr": remote_addr, "language": submission.language},
    )
