"""Site-wide middleware: a database that is down answers 503 with ``Retry-After`` (not a 500 and a stack
trace); every HTML page carries a Content-Security-Policy that forbids inline script.

Nothing is half-stored: each upload is one transaction, so a request that failed here stored nothing,
and the client may simply send it again.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.core.exceptions import DisallowedHost
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

from birdsite.errors import refusal_body

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
            response: HttpResponse = JsonResponse(refusal_body("unavailable", MESSAGE), status=503)
        else:
            response = HttpResponse(MESSAGE, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


# Scripts only from this site's files: no inline script, no eval, no third-party host. Styles allow inline
# attributes (the staff charts' SVG and progress bars set widths); the photo views send their own, stricter
# policy, which is kept. ``connect-src`` is filled in per request (:func:`content_security_policy`).
_DIRECTIVES = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src {connect}",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
]
# What a CSP host-source can say: a name or IPv4 address, and a port (an IPv6 literal it cannot).
_HOST_SOURCE = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?")


def content_security_policy(host: str) -> str:
    """The page policy for a page served as ``host``: its WebSocket (``/ws/jobs/``) may go to that host
    only. CSP3 browsers read ws/wss of the same host into 'self'; CSP2 ones need it said, and a bare
    ``ws: wss:`` would let a script injected into a page send what it read to any host."""
    connect = "'self'"
    if _HOST_SOURCE.fullmatch(host):
        connect += f" ws://{host} wss://{host}"
    return "; ".join(_DIRECTIVES).format(connect=connect)


def _host(request: HttpRequest) -> str:
    try:
        return request.get_host()
    except DisallowedHost:  # its own 400 follows; the policy then needs no host
        return ""


class ContentSecurityPolicyMiddleware:
    """Every HTML page gets :func:`content_security_policy` unless its view set a policy of its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        html = response.get("Content-Type", "").startswith("text/html")
        if html and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = content_security_policy(_host(request))
        return response
