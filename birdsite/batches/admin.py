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
    inlines = [BatchItemInline]
