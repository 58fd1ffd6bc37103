"""Every API error is JSON ``{"code", "message"[, "details"]}``: a stable ``code``, a ``message`` for people.

A service's ``birdsite.errors.Refused`` keeps its own code and gets the HTTP status of that code
(``birdsite.errors.HTTP_STATUS``: 413 for too large, 415 for not an image we take, 400 otherwise).
"""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from birdsite.errors import Refused, http_status, refusal_body, refusal_details


class ApiError(exceptions.APIException):
    """An error with a chosen status, stable code and message (and optional details)."""

    wait: int | None = None  # seconds, sent as Retry-After

    def __init__(
        self, *, code: str, message: str, status_code: int = 400, details: Any | None = None
    ) -> None:
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.details = details


def refusal_error(exc: Refused) -> ApiError:
    """The one mapping of a service's refusal to the API: its code, its message, the code's status."""
    details = refusal_details(exc)
    error = ApiError(code=exc.code, message=exc.message, status_code=http_status(exc.code), details=details)
    error.wait = getattr(exc, "retry_after", None)  # DRF's handler turns it into Retry-After
    return error


def _translate(exc: Exception) -> Exception:
    if isinstance(exc, Refused):
        return refusal_error(exc)
    if isinstance(exc, Http404):
        return exceptions.NotFound("Not found.")
    if isinstance(exc, RequestDataTooBig):
        return ApiError(code="too_large", message="The request body is too large.", status_code=413)
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return ApiError(code="too_many_parts", message="The request has too many fields or files.")
    return exc


def _body(exc: exceptions.APIException) -> dict[str, Any]:
    if isinstance(exc, ApiError):
        return refusal_body(str(exc.detail.code), str(exc.detail), details=exc.details, retry_after=exc.wait)
    if isinstance(exc, exceptions.ValidationError):
        return {"code": "invalid", "message": "The request is not valid.", "details": exc.get_full_details()}
    if isinstance(exc, exceptions.Throttled):
        wait = None if exc.wait is None else math.ceil(exc.wait)
        return refusal_body("throttled", str(exc.detail), retry_after=wait)
    detail = exc.detail
    code = getattr(detail, "code", None) or exc.default_code
    return {"code": str(code), "message": str(detail)}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler (status, ``WWW-Authenticate``, ``Retry-After``, rollback) with our body."""
    exc = _translate(exc)
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    response.data = _body(exc)
    return response
