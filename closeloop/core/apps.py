from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The clock, errors, settings helpers and the plumbing every app shares."""

    name = "closeloop.core"
    label = "core"
    verbose_name = "Closeloop core"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from closeloop.core.models import Organization

        post_save.connect(
            Organization.clear_cache, sender=Organization, dispatch_uid="organization-cache"
        )
