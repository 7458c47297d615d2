from django.contrib import admin

from closeloop.core.models import ApiToken, Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "ticket_number_prefix",
        "time_zone",
        "confirmation_window_hours",
        "reopen_window_days",
    ]
    exclude = ["next_ticket_number"]

    def has_add_permission(self, request):  # noqa: ANN001, ANN201
        return not Organization.objects.exists()

    def has_delete_permission(self, request, obj=None):  # noqa: ANN001, ANN201
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created with `closeloop token create`; here they can be seen and revoked."""

    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "prefix", "digest", "created_at", "last_used_at"]

    def has_add_permission(self, request):  # noqa: ANN001, ANN201
        return False
