from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    """Agents, teams, skills, and their development: training, assessments, mentoring,
    onboarding."""

    name = "closeloop.people"
    label = "people"
    verbose_name = _("People")

    def ready(self) -> None:
        from closeloop.core import schedule
        from closeloop.people import tasks

        schedule.register("people.training_refreshers", tasks.training_refreshers_sweep)
