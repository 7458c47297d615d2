from django.contrib import admin

from closeloop.sla.models import Calendar, CalendarException, SlaPolicy, TicketClock


class ExceptionInline(admin.TabularInline):
    model = CalendarException
    extra = 1


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "holiday_country", "description"]
    inlines = [ExceptionInline]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "order",
        "is_active",
        "calendar",
        "first_response_minutes",
        "resolution_minutes",
        "resolution_working_days",
        "breach_escalation_level",
    ]
    list_editable = ["order", "is_active"]
    fieldsets = [
        (None, {"fields": ["name", "order", "is_active"]}),
        (
            "Matches (empty = any)",
            {"fields": ["match_priorities", "match_kinds", "match_channels", "match_segments"]},
        ),
        ("Calendars", {"fields": ["calendar", "working_day_calendar"]}),
        (
            "Targets",
            {
                "fields": [
                    ("first_response_minutes", "first_response_working_days"),
                    ("next_response_minutes", "next_response_working_days"),
                    ("resolution_minutes", "resolution_working_days"),
                    "warning_percent",
                ]
            },
        ),
        ("On breach", {"fields": ["breach_escalation_level", "notify_on_breach"]}),
    ]


@admin.register(TicketClock)
class TicketClockAdmin(admin.ModelAdmin):
    list_display = ["ticket", "metric", "policy", "due_at", "stopped_at", "breached_at"]
    list_filter = ["metric", "policy"]
    raw_id_fields = ["ticket"]

    def has_change_permission(self, request, obj=None):  # noqa: ANN001, ANN201
        return False  # derived from ticket events; recomputed, never edited
