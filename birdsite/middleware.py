"""A database that is down or restarting answers 503 with ``Retry-After``, not a 500 and a stack trace.

Nothing is half-stored: each upload is one transaction, so a request that failed here stored nothing,
and the client may simply send it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5
MESSAGE = "The service is briefly unavailable (database). Nothing was saved; please try again."


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        log.error("database unavailable for %s %s: %s", request.method, request.path, exception)
        if "application/json" in request.headers.get("Accept", "") or request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse({"code": "unavailable", "error": MESSAGE}, status=503)
        else:
            response = HttpResponse(MESSAGE, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
