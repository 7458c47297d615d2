from django.contrib import admin

from closeloop.portal.models import OrderSource, PortalLoginToken


@admin.register(OrderSource)
class OrderSourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "url_template", "is_active", "order")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "url_template")
    fieldsets = (
        (None, {"fields": ("name", "kind", "is_active", "order")}),
        (
            "HTTP",
            {
                "fields": (
                    "url_template",
                    "auth_header_name",
                    "auth_header_value",
                    "field_mapping",
                    "timeout_seconds",
                )
            },
        ),
    )


@admin.register(PortalLoginToken)
class PortalLoginTokenAdmin(admin.ModelAdmin):
    """Read-only: who asked for a link and whether it was used (the link itself is not kept)."""

    list_display = ("email", "created_at", "expires_at", "used_at")
    search_fields = ("email",)
    readonly_fields = ("email", "digest", "requested_from", "created_at", "expires_at", "used_at")

    def has_add_permission(self, request):  # noqa: ANN001, ANN201
        return False
