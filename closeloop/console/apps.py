from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """Commands that span apps: demo, serve, worker, import/export, benchmarks."""

    name = "closeloop.console"
    label = "console"
    verbose_name = "Closeloop console"
