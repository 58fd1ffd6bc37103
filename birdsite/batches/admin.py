from django.contrib import admin

from birdsite.batches.models import Batch, BatchItem


class BatchItemInline(admin.TabularInline):
    model = BatchItem
    extra = 0
    can_delete = False
    readonly_fields = ["position", "name", "kind", "job", "code", "reason", "cancelled"]
    fields = readonly_fields


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "name", "source", "status", "expected", "created_at", "finished_at"]
    list_filter = ["status", "source"]
    search_fields = ["owner__username", "name"]
    readonly_fields = ["created_at", "finished_at"]
    list_select_related = ["owner"]
    inlines = [BatchItemInline]


@admin.register(BatchItem)
class BatchItemAdmin(admin.ModelAdmin):
    list_display = ["id", "batch", "position", "name", "kind", "code", "cancelled", "job"]
    list_filter = ["kind", "code", "cancelled"]
    search_fields = ["name", "reason", "batch__name", "batch__owner__username"]
    raw_id_fields = ["batch", "job"]
    readonly_fields = ["created_at"]
