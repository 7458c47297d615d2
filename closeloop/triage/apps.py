from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriageConfig(AppConfig):
    """Problem taxonomy, tags, the text classifier and routing."""

    name = "closeloop.triage"
    label = "triage"
    verbose_name = _("Triage")

    def ready(self) -> None:
        from closeloop.triage import receivers  # noqa: F401
