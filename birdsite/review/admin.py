from django.contrib import admin

from birdsite.review.models import ReviewDecision


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(admin.ModelAdmin):
    """The audit trail: decisions are added by the review queue and never edited here."""

    list_display = [
        "id",
        "job",
        "verdict",
        "common_name",
        "top1_label",
        "top1_confidence",
        "reviewer",
        "created_at",
    ]
    list_filter = ["verdict", "model_version", "created_at"]
    search_fields = ["label", "common_name", "top1_label", "reviewer__username", "job__id"]
    date_hierarchy = "created_at"
    list_select_related = ["reviewer", "job"]
    readonly_fields = [f.name for f in ReviewDecision._meta.fields]
    raw_id_fields = ["job"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
