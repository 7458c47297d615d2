"""Sign-in by one-time email link: the mail goes out through a real SMTP server on loopback,
the link works once and for 15 minutes, forged, expired and reused links are refused with
nothing changed, and the answer never tells whether an address is known."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from django.test import Client

from closeloop.channels.tests.email_support import running_smtp, support_mailbox
from closeloop.core import clock
from closeloop.customers.models import Customer, Identity
from closeloop.customers.services import customer_identify
from closeloop.portal.models import PortalLoginToken
from closeloop.portal.services import (
    LINKS_PER_EMAIL,
    SignInLinkExpired,
    SignInLinkInvalid,
    signin_link_redeem,
    signin_link_request,
)
from closeloop.portal.session import SESSION_CUSTOMER

pytestmark = pytest.mark.django_db
LINK = re.compile(r"http://[^\s]+/signin/([A-Za-z0-9_-]+)")


@pytest.fixture
def smtp():  # noqa: ANN201
    with running_smtp() as (controller, handler):
        support_mailbox(controller.port)
        yield handler


def _link_from(handler) -> str:  # noqa: ANN001
    body = handler.messages[-1].get_content()
    match = LINK.search(body)
    assert match, body
    return match.group(1)


def test_a_link_is_mailed_and_signs_the_customer_in_once(smtp):
    known = customer_identify(email="frank@example.com", name="Frank")
    client = Client()
    response = client.post("/signin", {"email": "Frank@Example.com"})
    assert response.status_code == 200
    assert "a sign-in link is on its way" in response.content.decode()
    assert smtp.envelopes[0].rcpt_tos == ["frank@example.com"]
    token = _link_from(smtp)
    assert PortalLoginToken.objects.get().digest != token  # only a hash is kept

    confirm = client.get(f"/signin/{token}")
    assert confirm.status_code == 200
    assert PortalLoginToken.objects.get().used_at is None  # looking does not use it up
    before = client.session.session_key
    signed = client.post(f"/signin/{token}")
    assert signed.status_code == 302
    assert client.session[SESSION_CUSTOMER] == known.pk
    assert client.session.session_key != before  # a fresh session key
    assert client.get("/tickets/").status_code == 200

    again = Client().post(f"/signin/{token}")
    assert again.status_code == 410
    assert SESSION_CUSTOMER not in again.wsgi_request.session


def test_a_new_address_gets_a_customer_record_when_the_link_is_used(smtp):
    client = Client()
    client.post("/signin", {"email": "new@example.com"})
    assert not Identity.objects.filter(value="new@example.com").exists()
    token = _link_from(smtp)
    client.post(f"/signin/{token}")
    customer = Identity.objects.get(kind="email", value="new@example.com").customer
    assert client.session[SESSION_CUSTOMER] == customer.pk


def test_known_and_unknown_addresses_get_the_same_answer(smtp):
    customer_identify(email="known@example.com")
    client = Client()
    known = client.post("/signin", {"email": "known@example.com"})
    unknown = client.post("/signin", {"email": "unknown@example.com"})
    assert known.status_code == unknown.status_code == 200
    csrf = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')

    def page(response, email: str) -> str:  # noqa: ANN001
        return csrf.sub("", response.content.decode()).replace(email, "X")

    assert page(known, "known@example.com") == page(unknown, "unknown@example.com")
    assert len(smtp.messages) == 2


def test_forged_links_are_refused_and_change_nothing():
    customers = Customer.objects.count()
    client = Client()
    for token in ["forged", "A" * 43, "x" * 500]:
        page = client.get(f"/signin/{token}")
        assert page.status_code == 400
        assert "not valid" in page.content.decode()
        assert client.post(f"/signin/{token}").status_code == 400
    assert SESSION_CUSTOMER not in client.session
    assert Customer.objects.count() == customers
    with pytest.raises(SignInLinkInvalid):
        signin_link_redeem(token="forged")


def test_an_expired_link_is_refused(caplog):
    caplog.set_level(logging.INFO, logger="closeloop.portal.services")
    signin_link_request(email="gina@example.com", remote_addr="10.0.0.1")
    token = LINK.search(caplog.text).group(1)
    with clock.frozen_at(clock.now() + timedelta(minutes=16)):
        client = Client()
        assert client.get(f"/signin/{token}").status_code == 410
        assert client.post(f"/signin/{token}").status_code == 410
        with pytest.raises(SignInLinkExpired):
            signin_link_redeem(token=token)
    assert PortalLoginToken.objects.get().used_at is None
    assert not Identity.objects.filter(value="gina@example.com").exists()


def test_without_smtp_the_link_is_logged_and_the_page_says_so_outside_production(caplog):
    caplog.set_level(logging.INFO, logger="closeloop.portal.services")
    page = Client().post("/signin", {"email": "hal@example.com"})
    assert page.status_code == 200
    assert "written to the server log" in page.content.decode()
    assert LINK.search(caplog.text)


def test_links_are_rate_limited_per_address_and_per_requester(caplog):
    caplog.set_level(logging.INFO, logger="closeloop.portal.services")
    client = Client()
    for _ in range(LINKS_PER_EMAIL):
        assert client.post("/signin", {"email": "ida@example.com"}).status_code == 200
    refused = client.post("/signin", {"email": "ida@example.com"})
    assert refused.status_code == 429
    assert 'role="alert"' in refused.content.decode()
    assert PortalLoginToken.objects.filter(email="ida@example.com").count() == LINKS_PER_EMAIL
    for index in range(10 - LINKS_PER_EMAIL):
        client.post("/signin", {"email": f"other{index}@example.com"})
    assert client.post("/signin", {"email": "last@example.com"}).status_code == 429
    assert not PortalLoginToken.objects.filter(email="last@example.com").exists()


def test_a_bad_address_is_shown_next_to_the_field():
    page = Client().post("/signin", {"email": "nope"})
    assert page.status_code == 400
    assert 'id="id_email-error" role="alert"' in page.content.decode()
    assert PortalLoginToken.objects.count() == 0


def test_signing_out_forgets_the_customer(smtp):
    client = Client()
    client.post("/signin", {"email": "jo@example.com"})
    client.post(f"/signin/{_link_from(smtp)}")
    assert SESSION_CUSTOMER in client.session
    client.post("/signout")
    assert SESSION_CUSTOMER not in client.session
    assert client.get("/tickets/").status_code == 302


def test_after_sign_in_the_customer_returns_where_they_were_going(smtp):
    client = Client()
    response = client.get("/tickets/")
    assert response["Location"] == "/signin?next=%2Ftickets%2F"
    client.post("/signin", {"email": "kim@example.com", "next": "https://evil.example/"})
    signed = client.post(f"/signin/{_link_from(smtp)}")
    assert signed["Location"] == "/tickets/"  # not the foreign site


def test_behind_a_trusted_proxy_the_forwarded_address_is_rate_limited(settings, caplog):
    from closeloop.portal.services import LINKS_PER_ADDRESS

    caplog.set_level(logging.INFO, logger="closeloop.portal.services")
    settings.CLOSELOOP = {**settings.CLOSELOOP, "PORTAL_PROXY_HOPS": 1}
    client = Client()
    for index in range(LINKS_PER_ADDRESS):
        response = client.post(
            "/signin",
            {"email": f"p{index}@example.com"},
            headers={"X-Forwarded-For": f"spoofed-{index}, 203.0.113.7"},
        )
        assert response.status_code == 200
    blocked = client.post(
        "/signin", {"email": "q@example.com"}, headers={"X-Forwarded-For": "203.0.113.7"}
    )
    assert blocked.status_code == 429
    other = client.post(
        "/signin", {"email": "r@example.com"}, headers={"X-Forwarded-For": "203.0.113.8"}
    )
    assert other.status_code == 200
