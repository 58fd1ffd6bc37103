"""Stop Twisted, under daphne, from parsing multipart upload bodies itself.

Twisted's ``http.Request`` reads every ``multipart/form-data`` POST into memory and parses it with
the e-mail parser before daphne hands the body to Django, which parses it again: a second full
copy of every upload (20 MB photos, batch archives) and, for a malformed body, a bare ``400``
with no Content-Type that Django never sees. Django does this parsing properly (streamed, with
limits), so Twisted's is switched off. Imported by ``birdsite.asgi``; a no-op without daphne.
"""

from __future__ import annotations

from typing import Any


def install() -> None:
    try:
        from daphne.http_protocol import WebRequest
    except ImportError:  # pragma: no cover - not running under daphne
        return
    if getattr(WebRequest, "_birdsite_no_form_parsing", False):
        return
    original = WebRequest.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("parsePOSTFormSubmission", False)
        original(self, *args, **kwargs)

    WebRequest.__init__ = __init__  # type: ignore[method-assign]
    WebRequest._birdsite_no_form_parsing = True  # type: ignore[attr-defined]
