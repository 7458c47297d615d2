from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The clock, errors, settings helpers and the plumbing every app shares."""

    name = "closeloop.core"
    label = "core"
    verbose_name = "Closeloop core"
