from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    """Surveys (CSAT, NPS, CES), invitations, responses, follow-ups and feedback tickets."""

    name = "closeloop.feedback"
    label = "feedback"
    verbose_name = _("Feedback")
