"""Submitting a request through the portal: the pipeline stores it once (a double submit is
one ticket), after-sales fields are required and kept, oversized files are refused with
nothing stored, and script in the text stays inert."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from closeloop.channels.models import InboundMessage
from closeloop.portal.tests.support import form_nonce, signed_in_client
from closeloop.tickets.models import Attachment, Kind, Message, Ticket, Touchpoint

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _form(client: Client, **values: object) -> dict[str, object]:
    page = client.get("/requests/new")
    assert page.status_code == 200
    data: dict[str, object] = {
        "nonce": form_nonce(page.content.decode()),
        "email": "carol@example.com",
        "name": "Carol",
        "kind": "question",
        "subject": "Where is my parcel?",
        "description": "It has been a week.",
    }
    data.update(values)
    return data


def test_a_request_becomes_a_ticket_and_the_confirmation_shows_its_number():
    client = Client()
    response = client.post("/requests/new", _form(client), follow=True)
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert f"#{ticket.number}" in response.content.decode()
    assert ticket.channel == "portal"
    assert ticket.subject == "Where is my parcel?"
    assert ticket.kind == Kind.INQUIRY
    assert ticket.customer.identities.get(kind="email").value == "carol@example.com"
    inbound = InboundMessage.objects.get()
    assert (inbound.channel, inbound.status) == ("portal", "processed")
    assert inbound.ticket_id == ticket.pk


def test_submitting_the_same_form_twice_stores_one_ticket():
    client = Client()
    data = _form(client)
    first = client.post("/requests/new", data)
    second = client.post("/requests/new", data)
    assert first.status_code == second.status_code == 302
    assert Ticket.objects.count() == 1
    assert Message.objects.count() == 1
    assert InboundMessage.objects.count() == 1


def test_an_after_sales_request_keeps_its_structured_fields():
    client = Client()
    data = _form(
        client,
        kind="after_sales",
        after_sales_type="refund",
        order_number="DEMO-100004",
        item="Smart speaker",
        reason="Arrived broken",
        preferred_resolution="Money back",
        amount="199.00",
    )
    assert client.post("/requests/new", data).status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.kind == Kind.REQUEST
    assert ticket.touchpoint == Touchpoint.AFTER_SALE
    message = Message.objects.get(ticket=ticket)
    facts = message.meta["portal"]
    assert facts["kind"] == "after_sales"
    assert facts["after_sales"] == {
        "type": "refund",
        "order_number": "DEMO-100004",
        "item": "Smart speaker",
        "reason": "Arrived broken",
        "preferred_resolution": "Money back",
        "amount": "199.00",
    }
    assert "Order number: DEMO-100004" in message.body
    assert "Refund amount: 199.00" in message.body


def test_after_sales_without_order_number_or_refund_amount_is_refused():
    client = Client()
    data = _form(client, kind="after_sales", after_sales_type="refund")
    response = client.post("/requests/new", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_order_number-error" role="alert"' in html
    assert 'id="id_amount-error" role="alert"' in html
    assert 'aria-describedby="id_order_number-error"' in html
    assert Ticket.objects.count() == 0
    assert InboundMessage.objects.count() == 0


def test_missing_email_and_bad_email_are_shown_next_to_the_field():
    client = Client()
    for email in ["", "not-an-email"]:
        response = client.post("/requests/new", _form(client, email=email))
        assert response.status_code == 400
        assert 'id="id_email-error" role="alert"' in response.content.decode()
    assert InboundMessage.objects.count() == 0


def test_the_topic_select_lists_problem_types_by_family_in_the_page_language():
    client = Client()
    english = client.get("/requests/new?lang=en").content.decode()
    chinese = client.get("/requests/new?lang=zh-hans").content.decode()
    assert '<optgroup label="Product">' in english
    assert 'lang="zh-Hans"' in chinese
    assert "电池" in chinese


def test_a_chosen_topic_is_kept_with_its_name():
    client = Client()
    from closeloop.triage.taxonomy import leaf_categories

    leaf = leaf_categories().first()
    assert leaf is not None
    client.post("/requests/new", _form(client, request_type=leaf.code))
    message = Message.objects.get()
    assert message.meta["portal"]["request_type"] == leaf.code
    assert f"Request type: {leaf.name_en}" in message.body


def test_attachments_are_stored_with_the_message():
    client = Client()
    photo = SimpleUploadedFile("broken.png", b"\x89PNG fake image", content_type="image/png")
    client.post("/requests/new", {**_form(client), "attachments": [photo]})
    attachment = Attachment.objects.get()
    assert attachment.filename == "broken.png"
    assert attachment.content_type == "image/png"
    assert attachment.size == len(b"\x89PNG fake image")
    assert attachment.file.read() == b"\x89PNG fake image"


def test_an_oversized_file_is_refused_next_to_the_field_and_nothing_is_stored(settings):
    settings.CLOSELOOP = {**settings.CLOSELOOP, "MAX_ATTACHMENT_BYTES": 1000}
    client = Client()
    big = SimpleUploadedFile("big.pdf", b"x" * 1001, content_type="application/pdf")
    response = client.post("/requests/new", {**_form(client), "attachments": [big]})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_attachments-error" role="alert"' in html
    assert "big.pdf is larger than" in html
    assert Ticket.objects.count() == 0
    assert InboundMessage.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_files_over_the_total_limit_or_of_a_refused_type_are_refused(settings):
    settings.CLOSELOOP = {**settings.CLOSELOOP, "PORTAL_MAX_UPLOAD_BYTES": 1500}
    client = Client()
    files = [
        SimpleUploadedFile("a.jpg", b"a" * 1000, content_type="image/jpeg"),
        SimpleUploadedFile("b.jpg", b"b" * 1000, content_type="image/jpeg"),
    ]
    response = client.post("/requests/new", {**_form(client), "attachments": files})
    assert response.status_code == 400
    assert "together are larger" in response.content.decode()
    script = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    response = client.post("/requests/new", {**_form(client), "attachments": [script]})
    assert response.status_code == 400
    assert "is not a file type we accept" in response.content.decode()
    assert InboundMessage.objects.count() == 0


def test_script_in_a_request_is_inert_on_every_page_that_shows_it():
    client, customer = signed_in_client("dave@example.com")
    data = _form(client, subject=f"Help {SCRIPT}", description=f"Body {SCRIPT}")
    data.pop("email")
    assert client.post("/requests/new", data).status_code == 302
    ticket = Ticket.objects.get(customer=customer)
    for path in ["/tickets/", f"/tickets/{ticket.number}/"]:
        html = client.get(path).content.decode()
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_a_signed_in_customer_needs_no_email_and_the_request_is_theirs():
    client, customer = signed_in_client("erin@example.com")
    page = client.get("/requests/new").content.decode()
    assert 'name="email"' not in page
    assert "erin@example.com" in page
    data = _form(client)
    data.pop("email")
    client.post("/requests/new", data)
    assert Ticket.objects.get().customer == customer


def test_the_confirmation_page_needs_a_submission_first():
    response = Client().get("/requests/sent")
    assert response.status_code == 302
    assert response["Location"] == "/requests/new"


def test_a_form_over_the_request_limit_is_refused_before_it_is_read(settings):
    settings.CLOSELOOP = {
        **settings.CLOSELOOP,
        "MAX_REQUEST_BYTES": 4096,
        "MAX_UPLOAD_REQUEST_BYTES": 4096,
    }
    client = Client()
    big = SimpleUploadedFile("big.jpg", b"x" * 5000, content_type="image/jpeg")
    response = client.post("/requests/new", {**_form(client), "attachments": [big]})
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert InboundMessage.objects.count() == 0
    assert Attachment.objects.count() == 0
    # The form states (and its script checks) the limit that applies: the upload request
    # limit, less room for the text fields, within the portal's own limit.
    settings.CLOSELOOP = {
        **settings.CLOSELOOP,
        "MAX_UPLOAD_REQUEST_BYTES": 1_048_576,
        "PORTAL_MAX_UPLOAD_BYTES": 20 * 1_048_576,
    }
    page = client.get("/requests/new").content.decode()
    assert f'data-max-total="{1_048_576 - 65_536}"' in page
    assert "0.9 MB together" in page


def test_a_form_with_files_may_be_larger_than_a_json_request(settings):
    """Multipart forms have their own limit; a JSON body of the same size is refused."""
    settings.CLOSELOOP = {
        **settings.CLOSELOOP,
        "MAX_REQUEST_BYTES": 4096,
        "MAX_UPLOAD_REQUEST_BYTES": 1_048_576,
    }
    client = Client()
    photo = SimpleUploadedFile("photo.jpg", b"\xff\xd8" + b"x" * 20_000, content_type="image/jpeg")
    response = client.post("/requests/new", {**_form(client), "attachments": [photo]})
    assert response.status_code == 302, response.content[:500]
    assert Attachment.objects.get().size == 20_002
    as_json = client.post(
        "/api/v1/tickets", "{" + " " * 20_000 + "}", content_type="application/json"
    )
    assert as_json.status_code == 413
