"""The portal's forms: each validates what a customer typed and shows errors next to the
field (the templates tie each error to its input with aria-describedby)."""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from closeloop.core.errors import InvalidInput
from closeloop.customers.identities import (
    normalize_email,
    normalize_phone,
    refuse_control_characters,
)
from closeloop.portal.orders import clean_order_number
from closeloop.portal.payload import AFTER_SALES_TYPES

# File types a customer may attach: photos, documents, short videos, plain text.
ALLOWED_EXTENSIONS = frozenset(
    {
        ".jpg",
        ".jpeg",
        ".png",
        ".gif",
        ".webp",
        ".heic",
        ".pdf",
        ".txt",
        ".csv",
        ".doc",
        ".docx",
        ".xls",
        ".xlsx",
        ".mp4",
        ".mov",
    }
)
MAX_FILES = 5

KIND_CHOICES = [
    ("question", _("A question")),
    ("problem", _("A problem with a product or service")),
    ("after_sales", _("An after-sales request (return, exchange, repair, refund)")),
    ("feedback", _("Feedback or a suggestion")),
    ("complaint", _("A complaint")),
]
AFTER_SALES_CHOICES = [
    ("", _("Choose…")),
    ("return", _("Return")),
    ("exchange", _("Exchange")),
    ("repair", _("Repair")),
    ("refund", _("Refund")),
]


def max_attachment_bytes() -> int:
    """The largest single file: the attachment limit, within what one form may carry."""
    return min(int(settings.CLOSELOOP["MAX_ATTACHMENT_BYTES"]), max_upload_bytes())


def max_upload_bytes() -> int:
    """All files of one form together: the portal's limit, within the request limit."""
    limit = int(settings.CLOSELOOP["PORTAL_MAX_UPLOAD_BYTES"])
    # The request also carries the text fields; leave them room under the request limit.
    return max(0, min(limit, int(settings.CLOSELOOP["MAX_UPLOAD_REQUEST_BYTES"]) - 64 * 1024))


def _megabytes(size: int) -> str:
    return f"{size / 1_048_576:.1f}".rstrip("0").rstrip(".")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each checked for type and size, and all for total size."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files: Sequence[Any] = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_FILES:
            raise forms.ValidationError(
                _("Attach at most %(count)d files.") % {"count": MAX_FILES}, code="too_many"
            )
        cleaned: list[UploadedFile] = []
        total = 0
        for upload in files:
            name = PurePath(upload.name or "").name
            if PurePath(name).suffix.lower() not in ALLOWED_EXTENSIONS:
                raise forms.ValidationError(
                    _("%(name)s is not a file type we accept (photos, PDF, documents, video).")
                    % {"name": name},
                    code="file_type",
                )
            if upload.size > max_attachment_bytes():
                raise forms.ValidationError(
                    _("%(name)s is larger than %(limit)s MB.")
                    % {"name": name, "limit": _megabytes(max_attachment_bytes())},
                    code="file_too_large",
                )
            total += upload.size
            cleaned.append(upload)
        if total > max_upload_bytes():
            raise forms.ValidationError(
                _("The files together are larger than %(limit)s MB.")
                % {"limit": _megabytes(max_upload_bytes())},
                code="files_too_large",
            )
        return cleaned


def attachments_hint() -> str:
    """What the file input accepts, in words."""
    return str(
        _(
            "Up to %(count)d files (photos, PDF, documents, short videos), each up to "
            "%(each)s MB, %(total)s MB together."
        )
    ) % {
        "count": MAX_FILES,
        "each": _megabytes(max_attachment_bytes()),
        "total": _megabytes(max_upload_bytes()),
    }


def read_files(files: Sequence[UploadedFile]) -> list[tuple[str, str, bytes]]:
    """(name, content type, bytes) of each upload; the type guessed from the name, not the
    browser's claim."""
    result = []
    for upload in files:
        name = PurePath(upload.name or "file").name
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        result.append((name, content_type, upload.read()))
    return result


def _text_clean(value: str, field: str) -> str:
    try:
        refuse_control_characters(value, field=field)
    except InvalidInput as error:
        raise forms.ValidationError(str(error.message), code="control") from None
    return value.strip()


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search help articles"), max_length=200, required=False)


class AskForm(forms.Form):
    question = forms.CharField(
        label=_("Your question"), max_length=1000, widget=forms.TextInput(attrs={"size": 40})
    )

    def clean_question(self) -> str:
        return _text_clean(self.cleaned_data["question"], "question")


class RequestForm(forms.Form):
    """A new request: contact details (unless signed in), what it is about, the details."""

    name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    email = forms.CharField(
        label=_("Email address"),
        max_length=320,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    kind = forms.ChoiceField(label=_("What is it about?"), choices=KIND_CHOICES, initial="question")
    request_type = forms.ChoiceField(label=_("Topic"), required=False)
    subject = forms.CharField(label=_("Subject"), max_length=300)
    description = forms.CharField(
        label=_("Describe your request"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    after_sales_type = forms.ChoiceField(
        label=_("Type of after-sales request"), choices=AFTER_SALES_CHOICES, required=False
    )
    order_number = forms.CharField(label=_("Order number"), max_length=64, required=False)
    item = forms.CharField(label=_("Item"), max_length=200, required=False)
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    preferred_resolution = forms.CharField(
        label=_("Preferred resolution"), max_length=500, required=False
    )
    amount = forms.DecimalField(
        label=_("Refund amount"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    nonce = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(
        self,
        *args: Any,
        signed_in: bool = False,
        request_types: list[tuple[str, list[tuple[str, str]]]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.signed_in = signed_in
        self.fields["attachments"].help_text = attachments_hint()
        groups = request_types or []
        request_type = self.fields["request_type"]
        assert isinstance(request_type, forms.ChoiceField)  # noqa: S101 (declared above)
        request_type.choices = [("", _("Not sure")), *groups]
        if signed_in:
            del self.fields["email"]
        else:
            self.fields["email"].required = True

    def clean_email(self) -> str:
        raw = self.cleaned_data.get("email", "")
        try:
            return normalize_email(raw)
        except InvalidInput:
            raise forms.ValidationError(
                _("Enter an email address like name@example.com."), code="invalid"
            ) from None

    def clean_name(self) -> str:
        return _text_clean(self.cleaned_data.get("name", ""), "name")

    def clean_subject(self) -> str:
        return _text_clean(self.cleaned_data["subject"], "subject")

    def clean_description(self) -> str:
        return _text_clean(self.cleaned_data["description"], "description")

    def clean_item(self) -> str:
        return _text_clean(self.cleaned_data.get("item", ""), "item")

    def clean_reason(self) -> str:
        return _text_clean(self.cleaned_data.get("reason", ""), "reason")

    def clean_preferred_resolution(self) -> str:
        return _text_clean(self.cleaned_data.get("preferred_resolution", ""), "resolution")

    def clean_nonce(self) -> str:
        nonce = self.cleaned_data["nonce"]
        if not nonce.replace("-", "").replace("_", "").isalnum():
            raise forms.ValidationError(_("Reload the page and try again."), code="nonce")
        return nonce

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == "after_sales":
            if data.get("after_sales_type") not in AFTER_SALES_TYPES:
                self.add_error("after_sales_type", _("Choose return, exchange, repair or refund."))
            raw_number = data.get("order_number", "")
            if not raw_number:
                self.add_error("order_number", _("The order number is needed for after-sales."))
            else:
                try:
                    data["order_number"] = clean_order_number(raw_number)
                except InvalidInput as error:
                    self.add_error("order_number", str(error.message))
            if data.get("after_sales_type") == "refund" and data.get("amount") is None:
                self.add_error("amount", _("Enter the amount to refund."))
        return data


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 4})
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    nonce = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = attachments_hint()

    def clean_body(self) -> str:
        return _text_clean(self.cleaned_data["body"], "body")


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("What is still wrong?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_reason(self) -> str:
        return _text_clean(self.cleaned_data["reason"], "reason")


class SignInForm(forms.Form):
    email = forms.CharField(
        label=_("Email address"),
        max_length=320,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_email(self) -> str:
        try:
            return normalize_email(self.cleaned_data["email"])
        except InvalidInput:
            raise forms.ValidationError(
                _("Enter an email address like name@example.com."), code="invalid"
            ) from None


class OrderLookupForm(forms.Form):
    order_number = forms.CharField(label=_("Order number"), max_length=64)
    contact = forms.CharField(
        label=_("Email or phone used for the order"),
        max_length=320,
        required=False,
        help_text=_("Not needed when you are signed in."),
    )

    def __init__(self, *args: Any, signed_in: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.signed_in = signed_in
        self.fields["contact"].required = not signed_in

    def clean_order_number(self) -> str:
        try:
            return clean_order_number(self.cleaned_data["order_number"])
        except InvalidInput as error:
            raise forms.ValidationError(str(error.message), code="invalid") from None

    def clean_contact(self) -> str:
        return _text_clean(self.cleaned_data.get("contact", ""), "contact")

    def contact_parts(self, region: str) -> tuple[str, str]:
        """(email, phone) from the contact field."""
        contact = self.cleaned_data.get("contact", "")
        if not contact:
            return "", ""
        if "@" in contact:
            return contact, ""
        try:
            return "", normalize_phone(contact, default_region=region)
        except InvalidInput:
            return "", contact
