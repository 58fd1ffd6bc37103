from django import forms

from birdsite.sightings.selectors import STATUSES


class SightingFilterForm(forms.Form):
    species = forms.CharField(required=False, max_length=64)
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(required=False, choices=STATUSES, label="Show")


class SightingEditForm(forms.Form):
    # A catalog key; "" means "no bird here". Absent means "keep the species, just save notes".
    species_key = forms.CharField(required=False, max_length=64)
    notes = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    # How many birds of it (eBird's Number); absent keeps the count as it is.
    count = forms.IntegerField(required=False, min_value=1, max_value=99999)


class SightingPlaceForm(forms.Form):
    """When and where; filled from the photo's EXIF, the owner corrects it."""

    observed_at = forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    location_name = forms.CharField(required=False, max_length=200)
    latitude = forms.FloatField(
        required=False, min_value=-90, max_value=90, widget=forms.NumberInput(attrs={"step": "any"})
    )
    longitude = forms.FloatField(
        required=False, min_value=-180, max_value=180, widget=forms.NumberInput(attrs={"step": "any"})
    )

    def clean(self) -> dict:
        data = super().clean()
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise forms.ValidationError("Give both latitude and longitude, or neither.")
        return data


class ExportForm(forms.Form):
    unconfirmed = forms.BooleanField(required=False)
    date_from = forms.DateField(required=False)
    date_to = forms.DateField(required=False)


class TimeZoneForm(forms.Form):
    # Filled from the browser (Intl) when the account has none yet; an IANA name.
    time_zone = forms.CharField(required=False, max_length=64)
