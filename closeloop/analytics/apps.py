from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """Metric definitions, alert rules, alerts and corrective actions."""

    name = "closeloop.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        # The built-in metric definitions register themselves with the registry.
        from closeloop.analytics import metric_catalogue, rollups, tasks  # noqa: F401
        from closeloop.core import schedule
        from closeloop.tickets.models import Ticket
        from closeloop.tickets.signals import ticket_changed

        schedule.register("analytics.alerts_sweep", tasks.alerts_sweep_task)
        schedule.register("analytics.rollups_sweep", tasks.rollups_sweep_task)
        from closeloop.analytics.tasks_problems import problems_detect_task

        schedule.register("analytics.problems_detect", problems_detect_task)
        # A changed ticket's days are counted directly until the sweep rolls them up again.
        ticket_changed.connect(
            rollups.on_ticket_changed, sender=Ticket, dispatch_uid="analytics.rollups"
        )
        for model in rollups.LATE_RECORDS:
            post_save.connect(
                rollups.on_record_saved,
                sender=model,
                dispatch_uid=f"analytics.rollups.{model.__name__}",
            )
