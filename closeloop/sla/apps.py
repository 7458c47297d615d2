from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    """Business calendars, SLA policies and the per-ticket clocks derived from ticket events."""

    name = "closeloop.sla"
    label = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        from closeloop.core import schedule
        from closeloop.sla import receivers, tasks

        receivers.connect()
        schedule.register("sla.sweep", tasks.sla_sweep)
