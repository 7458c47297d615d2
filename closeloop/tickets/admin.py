from django.contrib import admin

from closeloop.tickets.models import Message, Ticket, TicketEvent


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ("created_at", "author_kind", "author_agent", "is_public", "channel", "body")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):  # noqa: ANN001, ANN201
        return False


class EventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    fields = ("created_at", "type", "actor_kind", "actor_agent", "before", "after", "reason")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):  # noqa: ANN001, ANN201
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-only here: tickets change through the lifecycle services, never by form edits."""

    list_display = [
        "number",
        "subject",
        "status",
        "priority",
        "kind",
        "channel",
        "team",
        "assignee",
        "sla_due_at",
        "created_at",
    ]
    list_filter = ["status", "priority", "kind", "channel", "touchpoint", "team"]
    search_fields = ["=number", "subject", "customer__name"]
    date_hierarchy = "created_at"
    inlines = [MessageInline, EventInline]

    def get_readonly_fields(self, request, obj=None):  # noqa: ANN001, ANN201
        return [field.name for field in Ticket._meta.fields]

    def has_add_permission(self, request):  # noqa: ANN001, ANN201
        return False

    def has_delete_permission(self, request, obj=None):  # noqa: ANN001, ANN201
        return False
