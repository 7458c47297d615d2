"""Template helpers of the portal."""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def field_widget(field: BoundField) -> SafeString:
    """The field's input, pointing at its hint and errors (aria-describedby), marked invalid
    when it has errors, so screen readers announce both with the input."""
    described: list[str] = []
    attrs: dict[str, Any] = {}
    if field.help_text:
        described.append(f"{field.auto_id}-hint")
    if field.errors:
        described.append(f"{field.auto_id}-error")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)


@register.filter
def megabytes(size: int) -> str:
    """A byte count as megabytes, one decimal at most."""
    return f"{int(size) / 1_048_576:.1f}".rstrip("0").rstrip(".")
