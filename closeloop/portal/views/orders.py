"""Order status without an agent: the customer names the order and a contact on it (or is
signed in); a found order counts as a self-service success."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from closeloop.core.errors import InvalidInput
from closeloop.core.models import Organization
from closeloop.portal.forms import OrderLookupForm
from closeloop.portal.orders import DEMO_EMAIL, OrderNotFound, OrderSourceUnavailable
from closeloop.portal.services import portal_order_lookup
from closeloop.portal.session import portal_page, signed_in_customer

STATUS_WORDS = {
    "paid": _("Paid, being prepared"),
    "shipped": _("Shipped"),
    "delivered": _("Delivered"),
    "refunded": _("Refunded"),
}


@require_http_methods(["GET", "POST"])
@portal_page
def orders(request: HttpRequest) -> HttpResponse:
    """Look an order up; a source that is down and an unknown order read differently."""
    customer = signed_in_customer(request)
    context: dict[str, object] = {
        "customer": customer,
        "demo_hint": "" if settings.IS_PRODUCTION else DEMO_EMAIL,
    }
    status = 200
    if request.method == "POST":
        form = OrderLookupForm(request.POST, signed_in=customer is not None)
        if form.is_valid():
            email, phone = form.contact_parts(Organization.cached().default_phone_region)
            try:
                order = portal_order_lookup(
                    number=form.cleaned_data["order_number"],
                    email=email,
                    phone=phone,
                    customer=customer,
                )
            except OrderNotFound:
                context["not_found"] = True
                status = 404
            except OrderSourceUnavailable:
                context["unavailable"] = True
                status = 503
            except InvalidInput as error:
                form.add_error("order_number", str(error.message))
                status = 400
            else:
                context["order"] = order
                context["status_words"] = STATUS_WORDS.get(order.status.lower(), order.status)
        else:
            status = 400
    else:
        form = OrderLookupForm(signed_in=customer is not None)
    context["form"] = form
    return render(request, "portal/orders.html", context, status=status)
