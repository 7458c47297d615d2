from django.contrib import admin

from closeloop.customers.models import Customer, Identity


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 0
    readonly_fields = ["created_at"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "segment", "dedicated_agent", "created_at"]
    list_filter = ["segment"]
    search_fields = ["name", "identities__value"]
    autocomplete_fields = ["dedicated_agent"]
    readonly_fields = ["created_at"]
    inlines = [IdentityInline]
