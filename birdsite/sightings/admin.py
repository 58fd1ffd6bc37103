from django.contrib import admin

from birdsite.sightings.models import Observer, Place, Sighting


@admin.register(Sighting)
class SightingAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "common_name", "count", "confirmed", "reviewed_at", "observed_at"]
    list_filter = ["confirmed", "observed_at", "created_at"]
    list_select_related = ["owner"]
    raw_id_fields = ["photo", "job"]
    search_fields = ["common_name", "scientific_name", "species_key", "owner__username"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Observer)
class ObserverAdmin(admin.ModelAdmin):
    list_display = ["owner", "time_zone"]
    list_select_related = ["owner"]
    search_fields = ["owner__username", "time_zone"]


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "name", "latitude", "longitude"]
    list_select_related = ["owner"]
    search_fields = ["name", "owner__username"]
    readonly_fields = ["created_at"]
