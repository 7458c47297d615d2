"""The ticket page's forms: each checks what the agent typed and puts errors next to the
field; the services check again (and their refusals are shown the same way)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from closeloop.tickets.changes import MAX_BODY_LENGTH
from closeloop.tickets.intake import IncomingFile
from closeloop.tickets.models import Priority

MAX_FILES = 10
MAX_REASON_LENGTH = 1000

LIFECYCLE_ACTIONS = [
    ("assign", _("Assign")),
    ("start", _("Start work")),
    ("pend", _("Wait on customer")),
    ("resolve", _("Resolve")),
    ("close", _("Close")),
    ("reopen", _("Reopen")),
    ("escalate", _("Escalate")),
]


def max_attachment_bytes() -> int:
    """The largest file an agent may attach (the channels' attachment limit)."""
    return int(settings.CLOSELOOP["MAX_ATTACHMENT_BYTES"])


class _MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """Several files in one input, each at most MAX_ATTACHMENT_BYTES."""

    widget = _MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files: Sequence[Any] = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_FILES:
            raise forms.ValidationError(
                _("Attach at most %(count)d files.") % {"count": MAX_FILES}, code="too_many"
            )
        limit = max_attachment_bytes()
        for upload in files:
            if upload.size > limit:
                raise forms.ValidationError(
                    _("%(name)s is larger than %(limit)s MB.")
                    % {
                        "name": PurePath(upload.name or "").name,
                        "limit": f"{limit / 1_048_576:.1f}".rstrip("0").rstrip("."),
                    },
                    code="file_too_large",
                )
        return list(files)


def incoming_files(files: Sequence[UploadedFile]) -> list[IncomingFile]:
    """The uploads as the attachment store takes them."""
    return [
        IncomingFile(
            filename=PurePath(upload.name or "file").name,
            content_type=upload.content_type or "application/octet-stream",
            data=upload.read(),
        )
        for upload in files
    ]


class ReplyForm(forms.Form):
    """A public reply through one of the customer's channels, or an internal note."""

    body = forms.CharField(
        label=_("Message"),
        max_length=MAX_BODY_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Write a message first.")},
    )
    is_note = forms.BooleanField(label=_("Internal note"), required=False)
    via = forms.ChoiceField(label=_("Send via"), required=False)
    attachments = FilesField(label=_("Attachments"), required=False)

    def __init__(self, *args: Any, channels: Sequence[tuple[str, str]] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["via"]).choices = list(channels)

    def clean_body(self) -> str:
        # Browsers send a textarea's line breaks as CRLF; messages keep plain LF.
        body: str = self.cleaned_data["body"].replace("\r\n", "\n").replace("\r", "\n").strip()
        if not body:
            raise forms.ValidationError(_("Write a message first."), code="required")
        return body


class ActionForm(forms.Form):
    """One lifecycle action; assign needs an agent, escalate a reason."""

    action = forms.ChoiceField(choices=LIFECYCLE_ACTIONS)
    assignee = forms.TypedChoiceField(label=_("Agent"), required=False, coerce=int)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=MAX_REASON_LENGTH,
        widget=forms.TextInput(),
    )

    def __init__(self, *args: Any, agents: Sequence[tuple[int, str]] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [("", "—"), *agents]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        action = cleaned.get("action")
        if action == "assign" and not cleaned.get("assignee"):
            self.add_error("assignee", _("Choose who takes the ticket."))
        if action == "escalate" and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Say why the ticket is escalated."))
        return cleaned


class MergeForm(forms.Form):
    """Merge this ticket into another one, named by its number."""

    target = forms.CharField(
        label=_("Merge into ticket number"),
        max_length=40,
        error_messages={"required": _("Enter the number of the ticket to keep.")},
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=MAX_REASON_LENGTH)

    def clean_target(self) -> int:
        raw: str = self.cleaned_data["target"].strip().lstrip("#")
        # Accept "10023" as well as the reference form "CL-10023".
        digits = raw.rsplit("-", 1)[-1]
        if not digits.isdigit():
            raise forms.ValidationError(_("Enter a ticket number such as 10023."))
        return int(digits)


class CategoryForm(forms.Form):
    """Accept or correct the ticket's problem type."""

    category = forms.CharField(
        label=_("Problem type"),
        max_length=80,
        error_messages={"required": _("Choose a problem type.")},
    )


class PriorityForm(forms.Form):
    """Accept a suggested priority."""

    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)


class ArticleUseForm(forms.Form):
    """Insert an article into the reply or link it to the ticket."""

    article = forms.IntegerField(min_value=1)
    kind = forms.ChoiceField(choices=[("inserted", "inserted"), ("linked", "linked")])


class ArticleSearchForm(forms.Form):
    """The knowledge search box beside the reply."""

    q = forms.CharField(
        label=_("Search the knowledge base"),
        max_length=200,
        error_messages={"required": _("Type something to search for.")},
    )
