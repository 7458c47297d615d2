from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    """Help articles, their search, usage, the FAQ bot and its hand-off to people."""

    name = "closeloop.knowledge"
    label = "knowledge"
    verbose_name = _("Knowledge")

    def ready(self) -> None:
        from closeloop.core import schedule
        from closeloop.knowledge.bot import admin, receivers, tasks  # noqa: F401

        schedule.register("knowledge.bot_sweep", tasks.bot_sweep_task)
        # A flush (tests) empties the article table but not the search index tables.
        from django.db.models.signals import post_migrate

        from closeloop.knowledge.index import index_prune

        post_migrate.connect(index_prune, sender=self, dispatch_uid="knowledge.index_prune")
