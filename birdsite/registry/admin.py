from django.contrib import admin

from birdsite.registry.models import ModelEvent, ModelVersion


class ModelEventInline(admin.TabularInline):
    model = ModelEvent
    fk_name = "version"
    extra = 0
    can_delete = False
    readonly_fields = ["action", "previous", "user", "reason", "created_at"]
    fields = readonly_fields


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    """Promote and roll back on the Models page (it checks held-out numbers); here is for looking."""

    list_display = ["version", "status", "species_count", "parent", "created_by", "created_at", "promoted_by"]
    list_filter = ["status", "created_at"]
    search_fields = ["version", "directory", "promotion_reason"]
    list_select_related = ["parent", "created_by", "promoted_by"]
    readonly_fields = [
        "version", "directory", "status", "parent", "species_count", "metrics", "provenance", "error",
        "created_by", "created_at", "started_at", "finished_at", "promoted_by", "promoted_at",
        "promotion_reason",
    ]  # fmt: skip
    inlines = [ModelEventInline]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(ModelEvent)
class ModelEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "version", "previous", "user", "reason"]
    list_filter = ["action", "created_at"]
    search_fields = ["version__version", "previous__version", "user__username", "reason"]
    list_select_related = ["version", "previous", "user"]
    readonly_fields = ["action", "version", "previous", "user", "reason", "created_at"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
