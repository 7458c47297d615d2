from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    """Agents, teams and their memberships."""

    name = "closeloop.people"
    label = "people"
    verbose_name = _("People")
