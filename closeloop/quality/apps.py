from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    """Scorecards, QA sampling and reviews, automatic checks, calibration and disputes."""

    name = "closeloop.quality"
    label = "quality"
    verbose_name = _("Quality")

    def ready(self) -> None:
        from closeloop.core import schedule
        from closeloop.quality import receivers, tasks

        receivers.connect()
        schedule.register("quality.sweep", tasks.quality_sweep_task)
