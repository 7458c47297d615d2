from django.contrib import admin

from closeloop.channels.models import (
    ChatWidget,
    Delivery,
    InboundMessage,
    Integration,
    Mailbox,
    WeChatAccount,
)


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ["address", "name", "is_default", "poll_enabled", "last_polled_at", "last_error"]
    readonly_fields = ["uid_validity", "last_uid", "last_polled_at", "last_error"]


@admin.register(WeChatAccount)
class WeChatAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "app_id", "original_id", "enabled"]
    exclude = ["access_token", "access_token_expires_at"]


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "key", "webhook_url", "enabled"]


@admin.register(ChatWidget)
class ChatWidgetAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "calendar", "enabled"]


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ["channel", "external_id", "status", "received_at", "ticket", "error"]
    list_filter = ["channel", "status"]
    readonly_fields = [field.name for field in InboundMessage._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["channel", "recipient", "status", "attempts", "sent_at", "ticket", "last_error"]
    list_filter = ["channel", "status"]
    readonly_fields = [field.name for field in Delivery._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False
