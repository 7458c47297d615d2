from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    """Customers and the identities that recognise them on every channel."""

    name = "closeloop.customers"
    label = "customers"
    verbose_name = _("Customers")
