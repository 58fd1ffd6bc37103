from django import forms


class SightingFilterForm(forms.Form):
    species = forms.CharField(required=False, max_length=64)
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


class SightingEditForm(forms.Form):
    # A catalog key; "" means "no bird here". Absent means "keep the species, just save notes".
    species_key = forms.CharField(required=False, max_length=64)
    notes = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
