"""``{% portal_ticket_survey ticket %}``: the survey a portal ticket page offers.

A template tag rather than a portal view change: the portal sits below the feedback app in the
layers, so it cannot import it; its template names the tag and the feedback app answers.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from closeloop.feedback.invitations import invitation_token, scale_words
from closeloop.feedback.models import Response
from closeloop.feedback.selectors import ticket_open_invitation

register = template.Library()


@register.inclusion_tag("feedback/_portal_survey.html")
def portal_ticket_survey(ticket: Any) -> dict[str, Any]:
    """The open survey of ``ticket`` (sent, not expired), with its form, or nothing."""
    invitation = ticket_open_invitation(ticket.pk)
    if invitation is None:
        return {"invitation": None}
    survey = invitation.survey
    language = get_language() or "en"
    minimum, maximum = survey.scale
    low, high = scale_words(survey.survey_type)
    response = Response.objects.filter(invitation=invitation).first()
    return {
        "invitation": invitation,
        "token": invitation_token(invitation),
        "question": survey.question(language),
        "follow_up_question": survey.follow_up_question(language),
        "allows_comment": survey.allows_comment,
        "scores": list(range(minimum, maximum + 1)),
        "low_label": low,
        "high_label": high,
        "response": response,
        "language": "zh-hans" if language.startswith("zh") else "en",
    }
