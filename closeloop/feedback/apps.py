from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    """Surveys (CSAT, NPS, CES), invitations, responses, follow-ups and feedback tickets."""

    name = "closeloop.feedback"
    label = "feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        from closeloop.core import schedule
        from closeloop.feedback import receivers, tasks
        from closeloop.tickets.models import Ticket
        from closeloop.tickets.signals import ticket_changed

        ticket_changed.connect(
            receivers.on_ticket_changed, sender=Ticket, dispatch_uid="feedback.surveys"
        )
        schedule.register("feedback.invitations_send", tasks.invitations_send_sweep)
        schedule.register("feedback.relationship_rounds", tasks.relationship_rounds_sweep)
