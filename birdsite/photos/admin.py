from django.contrib import admin

from birdsite.photos.models import BirdAnswer, ClassificationJob, Photo, Prediction


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "original_name", "image_format", "width", "height", "created_at"]
    search_fields = ["sha256", "original_name", "owner__username"]
    list_filter = ["image_format", "created_at"]
    list_select_related = ["owner"]
    readonly_fields = ["sha256", "size_bytes", "width", "height", "image_format", "created_at"]


class PredictionInline(admin.TabularInline):
    model = Prediction
    extra = 0
    can_delete = False
    readonly_fields = ["model_version", "rank", "label", "common_name", "confidence", "created_at"]
    fields = readonly_fields


@admin.register(ClassificationJob)
class ClassificationJobAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "status", "model_version", "is_bird", "attempts", "created_at"]
    list_filter = ["status", "model_version", "is_bird"]
    search_fields = ["owner__username", "photo__sha256"]
    readonly_fields = ["attempts", "started_at", "finished_at", "created_at", "model_version"]
    inlines = [PredictionInline]


@admin.register(Prediction)
class PredictionAdmin(admin.ModelAdmin):
    """Predictions are never changed: a new model adds rows (human labels live in review)."""

    list_display = ["id", "job", "model_version", "rank", "common_name", "confidence", "created_at"]
    list_filter = ["model_version", "rank", "created_at"]
    search_fields = ["label", "common_name", "scientific_name", "job__id"]
    list_select_related = ["job"]
    readonly_fields = [f.name for f in Prediction._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(BirdAnswer)
class BirdAnswerAdmin(admin.ModelAdmin):
    """The open-set answer per bird and model version; never changed, like the predictions."""

    list_display = ["id", "job", "model_version", "bird", "kind", "common_name", "confidence", "known_score"]
    list_filter = ["kind", "model_version"]
    search_fields = ["label", "common_name", "scientific_name", "job__id"]
    list_select_related = ["job"]
    readonly_fields = [f.name for f in BirdAnswer._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
