"""The one refusal type of the site: services raise ``Refused``; views, forms and the API map it once.

A refusal is an expected answer ("this file is not an image", "the batch is full"), never a bug: it is
logged as one line without a traceback, shown to people as ``message`` and to programs as ``code``.
Subclasses exist only where callers need to tell families apart (uploads, batches, review, registry);
the HTTP status for each code lives in one table here, so the web pages and the API agree.
"""

from __future__ import annotations

import re
from typing import Any

from django.http import JsonResponse

_CODE = re.compile(r"[a-z][a-z0-9_]*")


class Refused(Exception):
    """A service refused: ``code`` is stable (for programs), ``message`` is for people. Every refusal,
    subclasses included, is made ``(code, message)``; a subclass only names its ``default_code``."""

    default_code = "refused"

    def __init__(self, code: str | None = None, message: str = "", *, details: Any | None = None) -> None:
        self.code = code or self.default_code
        if not _CODE.fullmatch(self.code):  # a message passed where the code goes
            raise ValueError(
                f"refusal code {self.code!r} is not a stable code: make it Refused(code, message)"
            )
        self.message = message or self.code.replace("_", " ")
        self.details = details
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


# The HTTP status of each refusal code; anything not listed is a 400.
HTTP_STATUS: dict[str, int] = {
    "too_large": 413,
    "too_many_pixels": 413,
    "archive_too_large": 413,
    "too_many_files": 413,
    "not_an_image": 415,
    "unsupported_format": 415,
    "not_found": 404,
    "forbidden": 403,
    "conflict": 409,
    "quota_exceeded": 507,
    "storage_full": 507,
    "service_unavailable": 503,
    "throttled": 429,
}


def http_status(code: str) -> int:
    return HTTP_STATUS.get(code, 400)


def refusal_body(
    code: str, message: str, *, details: Any | None = None, retry_after: int | None = None
) -> dict[str, Any]:
    """The one JSON body of a refusal, for the API and the pages' scripts alike:
    ``{"code", "message"[, "details"][, "retry_after"]}``."""
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    if retry_after is not None:
        body["retry_after"] = retry_after
    return body


def refusal_details(exc: Refused) -> Any | None:
    """What a refusal says beyond its message: its ``details``, else an archive's or a batch's per-file
    ``problems``."""
    problems = getattr(exc, "problems", None)
    if exc.details is None and problems:
        return {"problems": [p.__dict__ for p in problems]}
    return exc.details


def refusal_response(exc: Refused, *, status: int | None = None) -> JsonResponse:
    """A refusal as the pages' scripts get it: the body the API sends, the status of its code, and
    ``Retry-After`` where the refusal says when to come back."""
    wait = getattr(exc, "retry_after", None)
    body = refusal_body(exc.code, exc.message, details=refusal_details(exc), retry_after=wait)
    response = JsonResponse(body, status=status or http_status(exc.code))
    if wait is not None:
        response["Retry-After"] = str(wait)
    return response
