"""The feedback app's domain errors (each with a stable ``code``)."""

from __future__ import annotations

from closeloop.core.errors import CloseloopError


class SurveyLinkInvalid(CloseloopError):
    """A survey link whose signature does not check out (forged or mistyped)."""

    code = "survey_link_invalid"
    http_status = 400


class SurveyLinkExpired(CloseloopError):
    """A genuine survey link used after its validity ended."""

    code = "survey_link_expired"
    http_status = 410


class SurveyClosed(CloseloopError):
    """The invitation cannot be answered (skipped, never sent)."""

    code = "survey_closed"
    http_status = 409
