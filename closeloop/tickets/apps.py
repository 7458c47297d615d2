from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    """Tickets, their messages and their append-only event history."""

    name = "closeloop.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from closeloop.core import schedule
        from closeloop.tickets import tasks

        schedule.register("tickets.autoclose", tasks.tickets_autoclose_sweep)
