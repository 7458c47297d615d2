from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    """Channel adapters: email, web chat, WeChat, the mobile app, phone."""

    name = "closeloop.channels"
    label = "channels"
    verbose_name = _("Channels")

    def ready(self) -> None:
        from closeloop.channels import adapters, receivers, tasks  # noqa: F401
        from closeloop.core import schedule

        adapters.load_adapters()
        schedule.register("channels.inbound_recover", tasks.inbound_recover_sweep)
        schedule.register("channels.deliveries_retry", tasks.deliveries_retry_sweep)
