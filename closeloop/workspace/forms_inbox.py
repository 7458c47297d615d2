"""Forms of the inbox and team pages: filters, bulk actions, availability, reassignment."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from closeloop.core.errors import InvalidInput
from closeloop.customers.models import Segment
from closeloop.people.models import Availability
from closeloop.tickets.models import Channel, Kind, Priority, Ticket, Touchpoint
from closeloop.triage.models import Category
from closeloop.triage.tags import clean_tag_name
from closeloop.workspace.selectors import InboxFilters, assignable_agents

MAX_BULK = 200
MAX_QUERY_LENGTH = 200


def _any(choices: Any) -> list[tuple[str, Any]]:
    return [("", _("Any")), *choices]


class InboxFilterForm(forms.Form):
    """The inbox's GET parameters; a bad value is reported next to its field."""

    q = forms.CharField(label=_("Search"), required=False, max_length=MAX_QUERY_LENGTH)
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=_any(Channel.choices))
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_any(Kind.choices))
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=_any(Priority.choices)
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        required=False,
        queryset=Category.objects.filter(is_active=True).order_by("order", "code"),
        to_field_name="code",
        empty_label=_("Any"),
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=60)
    segment = forms.ChoiceField(label=_("Segment"), required=False, choices=_any(Segment.choices))
    touchpoint = forms.ChoiceField(
        label=_("Touchpoint"), required=False, choices=_any(Touchpoint.choices)
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[("due", _("SLA due first")), ("updated", _("Recently updated"))],
    )

    def clean_tag(self) -> str:
        """A tag filter with control characters finds nothing: refuse it here."""
        value: str = self.cleaned_data["tag"].strip()
        if any(ord(character) < 32 for character in value):
            raise forms.ValidationError(_("The tag contains a control character."))
        return value

    def clean_q(self) -> str:
        """Refuse control characters (they cannot be in a subject or a name)."""
        value: str = self.cleaned_data["q"].strip()
        if any(ord(character) < 32 for character in value):
            raise forms.ValidationError(_("The search contains a control character."))
        return value

    def filters(self) -> InboxFilters:
        """The valid filters (call after is_valid())."""
        data = self.cleaned_data
        return InboxFilters(
            channel=data.get("channel") or "",
            kind=data.get("kind") or "",
            priority=data.get("priority") or "",
            category=data.get("category"),
            tag=data.get("tag") or "",
            segment=data.get("segment") or "",
            touchpoint=data.get("touchpoint") or "",
            q=data.get("q") or "",
            sort=data.get("sort") or "due",
        )


class BulkActionForm(forms.Form):
    """Assign, tag or close the selected tickets (only tickets the agent may see)."""

    ASSIGN = "assign"
    TAG = "tag"
    CLOSE = "close"

    action = forms.ChoiceField(
        label=_("Action"),
        choices=[(ASSIGN, _("Assign to")), (TAG, _("Add tag")), (CLOSE, _("Close"))],
    )
    tickets = forms.ModelMultipleChoiceField(
        label=_("Tickets"),
        queryset=Ticket.objects.none(),
        error_messages={"required": _("Select at least one ticket.")},
    )
    assignee = forms.ModelChoiceField(
        label=_("Agent"), required=False, queryset=assignable_agents()
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=60)

    def __init__(self, *args: Any, visible: QuerySet[Ticket], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["tickets"]
        if isinstance(field, forms.ModelMultipleChoiceField):
            field.queryset = visible

    def clean_tickets(self) -> Any:
        """At most MAX_BULK tickets at once."""
        tickets = self.cleaned_data["tickets"]
        if len(tickets) > MAX_BULK:
            raise forms.ValidationError(
                _("Select at most %(count)d tickets at once.") % {"count": MAX_BULK}
            )
        return tickets

    def clean(self) -> dict[str, Any]:
        """The chosen action's own field is required."""
        data = super().clean() or {}
        action = data.get("action")
        if action == self.ASSIGN and not data.get("assignee"):
            self.add_error("assignee", _("Choose the agent to assign to."))
        if action == self.TAG:
            try:
                data["tag"] = clean_tag_name(data.get("tag") or "")
            except InvalidInput as error:
                self.add_error("tag", error.message)
        return data


class AvailabilityForm(forms.Form):
    """Online, away or offline."""

    availability = forms.ChoiceField(label=_("Availability"), choices=Availability.choices)


class ReassignForm(forms.Form):
    """A team lead gives one ticket of their team to another agent."""

    ticket = forms.ModelChoiceField(
        label=_("Ticket"), queryset=Ticket.objects.none(), to_field_name="number"
    )
    assignee = forms.ModelChoiceField(label=_("Agent"), queryset=assignable_agents())

    def __init__(self, *args: Any, tickets: QuerySet[Ticket], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["ticket"]
        if isinstance(field, forms.ModelChoiceField):
            field.queryset = tickets
