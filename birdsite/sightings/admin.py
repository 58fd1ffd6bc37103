from django.contrib import admin

from birdsite.sightings.models import Sighting


@admin.register(Sighting)
class SightingAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "common_name", "confirmed", "observed_at"]
    list_filter = ["confirmed", "observed_at", "created_at"]
    list_select_related = ["owner"]
    raw_id_fields = ["photo", "job"]
    search_fields = ["common_name", "scientific_name", "species_key", "owner__username"]
    readonly_fields = ["created_at", "updated_at"]
