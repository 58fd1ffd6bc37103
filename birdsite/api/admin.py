from django.contrib import admin

from birdsite.api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at"]
    search_fields = ["name", "user__username", "prefix"]
    list_filter = ["created_at", "last_used_at"]
    readonly_fields = ["digest", "prefix", "created_at", "last_used_at"]
