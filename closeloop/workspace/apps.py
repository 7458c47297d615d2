from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspaceConfig(AppConfig):
    """The agents' and team leads' web workspace at /agent/."""

    name = "closeloop.workspace"
    label = "workspace"
    verbose_name = _("Agent workspace")
