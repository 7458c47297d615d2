from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """Metric definitions, alert rules, alerts and corrective actions."""

    name = "closeloop.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        # The built-in metric definitions register themselves with the registry.
        from closeloop.analytics import metric_catalogue, tasks  # noqa: F401
        from closeloop.core import schedule

        schedule.register("analytics.alerts_sweep", tasks.alerts_sweep_task)
