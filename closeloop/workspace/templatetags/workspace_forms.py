"""Form rendering helpers for the workspace's templates."""

from __future__ import annotations

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def described_by_errors(field: BoundField) -> SafeString:
    """The field's widget; with errors, it points at their message beside it
    (aria-describedby) so a screen reader reads why the value was refused."""
    if not field.errors:
        return field.as_widget()
    existing = field.field.widget.attrs.get("aria-describedby", "")
    described = " ".join(part for part in (existing, f"{field.auto_id}-error") if part)
    return field.as_widget(attrs={"aria-describedby": described, "aria-invalid": "true"})
