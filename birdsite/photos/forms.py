from django import forms


class UploadForm(forms.Form):
    # Checked by content in services (Pillow), not by this field's extension or type.
    image = forms.FileField(
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
