"""Requests refused before any view sees them, and refusals answered in the shape the caller speaks.

- A NUL byte in the path or the query string: PostgreSQL cannot store or compare it (a 500 before).
- A JSON body nested deeper than ``MAX_JSON_DEPTH``: Python's parser would recurse until RecursionError
  (100,000 ``[`` was a 500 on every JSON endpoint, the token endpoint included).
- A ``Refused`` that reaches no view's own mapping (the login throttle raised inside ``/admin/login/``).
- ``handler400``: a ``SuspiciousOperation`` raised outside a DRF view (an over-limit or malformed body
  read by a middleware, a bad Host) answers ``/api/`` callers with the API's JSON error shape.

API paths answer ``{"code", "message"[, "details"]}`` (docs/api.md); web pages a short text. Every API
answer that does not say otherwise is ``Cache-Control: private, no-store``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control
from django.views import defaults

from birdsite.errors import Refused, http_status, refusal_body

log = logging.getLogger(__name__)
API_PREFIX = "/api/"
# Far below Python's recursion limit, far above any body this site's API takes.
MAX_JSON_DEPTH = 64
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when the JSON in ``body`` nests arrays/objects deeper than ``limit`` (strings skipped)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for bracket in _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS):
        depth += 1 if bracket in b"[{" else -1
        if depth > limit:
            return True
    return False


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def refusal_response(request: HttpRequest, refusal: Refused, status: int | None = None) -> HttpResponse:
    status = status or http_status(refusal.code)
    wants_json = "application/json" in request.headers.get("Accept", "") or _is_json(request)
    if _is_api(request) or wants_json:
        body = refusal_body(
            refusal.code,
            refusal.message,
            details=refusal.details,
            retry_after=getattr(refusal, "retry_after", None),
        )
        response: HttpResponse = JsonResponse(body, status=status)
    else:
        response = HttpResponse(refusal.message, status=status, content_type="text/plain; charset=utf-8")
    retry_after = getattr(refusal, "retry_after", None)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def _is_json(request: HttpRequest) -> bool:
    content_type = request.META.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")


def _has_nul(request: HttpRequest) -> bool:
    query = request.META.get("QUERY_STRING", "")
    return "\x00" in request.path_info or "\x00" in query or "%00" in query


def request_refusal(request: HttpRequest) -> Refused | None:
    """Why ``request`` is refused before routing, or None."""
    if _has_nul(request):
        return Refused("invalid_request", "A NUL character is not allowed in the address.")
    if _is_json(request) and request.method not in ("GET", "HEAD", "OPTIONS"):
        try:
            body = request.body
        except RequestDataTooBig:
            return Refused("too_large", "The request body is too large.")
        if json_too_deep(body):
            return Refused("invalid_json", f"The JSON is nested deeper than {MAX_JSON_DEPTH} levels.")
    return None


class HardeningMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = request_refusal(request)
        if refusal is not None:
            log.warning("refused %s %r: %s", request.method, request.path_info[:200], refusal.code)
            response = refusal_response(request, refusal)
        else:
            response = self.get_response(request)
        if _is_api(request) and not response.has_header("Cache-Control"):
            # An API answer is one user's data (or says who is signed in): no shared or disk cache keeps it.
            patch_cache_control(response, private=True, no_store=True)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, Refused):
            return None
        log.info("refused %s %s: %s", request.method, request.path_info[:200], exception.code)
        return refusal_response(request, exception)


def bad_request(request: HttpRequest, exception: Exception, template_name: str = "400.html") -> HttpResponse:
    """Django's 400 for pages; the API's JSON error for ``/api/`` (over-limit bodies keep their 413)."""
    if not _is_api(request):
        return defaults.bad_request(request, exception, template_name)
    if isinstance(exception, RequestDataTooBig):
        return refusal_response(request, Refused("too_large", "The request body is too large."), 413)
    if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        refusal = Refused("too_many_parts", "The request has too many fields or files.")
        return refusal_response(request, refusal, 400)
    return refusal_response(request, Refused("bad_request", "The request is not valid."), 400)
