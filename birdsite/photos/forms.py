from django import forms


class UploadForm(forms.Form):
    # Checked by content in services (Pillow), not by this field's extension or type.
    image = forms.FileField(
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
        # The words the API uses (birdsite/photos/images.py), not Django's own.
        error_messages={"empty": "The file is empty.", "required": "Choose a photo to upload."},
    )
