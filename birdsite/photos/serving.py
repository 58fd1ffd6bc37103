"""One way to send a stored photo to a browser, for its owner and for staff alike.

Every photo response carries the same headers: the file is shown inline, never sniffed into another
type, and sandboxed should a browser ever treat it as a document. The owner gets the stored file as it
is; anyone else (staff reviewing it) gets a copy without its location (``exif.without_location``: the
GPS block and XMP go, the orientation tag stays, so the photo is still upright).
"""

from __future__ import annotations

import logging
import mimetypes

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponse

from birdsite.photos import exif

log = logging.getLogger(__name__)


def photo_response(
    file: FieldFile, *, max_age: int, without_location: bool, fallback: FieldFile | None = None
) -> HttpResponse:
    """The photo in ``file``; with ``without_location``, a copy that cannot tell where it was taken.

    Should the location not come off (a file Pillow cannot re-encode), ``fallback`` (the thumbnail,
    re-encoded without EXIF at upload) is sent instead; the original never is.
    """
    if not without_location:
        return _protected(FileResponse(file.open("rb")), max_age)
    with file.open("rb") as handle:
        data = handle.read()
    try:
        data = exif.without_location(data)
    except ValueError:
        if fallback is None or not fallback:
            raise
        log.warning("serving the thumbnail of %s: its location could not be removed", file.name)
        file = fallback
        with file.open("rb") as handle:
            data = handle.read()
    content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    return _protected(HttpResponse(data, content_type=content_type), max_age)


def _protected(response: HttpResponse, max_age: int) -> HttpResponse:
    response["Cache-Control"] = f"private, max-age={max_age}"
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    # Stored under a name made from the checked format, so the type is an image type; never a document.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
