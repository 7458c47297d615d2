from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The customer's self-service site: help, requests, sign-in by link, order lookup."""

    name = "closeloop.portal"
    label = "portal"
    verbose_name = _("Self-service portal")

    def ready(self) -> None:
        from closeloop.channels.adapters import register
        from closeloop.portal.adapter import PortalAdapter

        register(PortalAdapter())
