"""What every API view shares: the paginated ``ListApi``, the limit on waiting requests, and the JSON 404
for any other path.

The API views are thin: they check the request's shape, call a service or selector, shape the answer.
Ownership is never checked object by object: every lookup goes through a selector scoped to
``request.user``, so someone else's object is simply not found (404).
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from birdsite.api.pagination import PageNumberPagination

# Waiting requests each hold a thread (and a DB connection); past this many, answer at once.
_wait_slots: threading.BoundedSemaphore | None = None
_wait_slots_lock = threading.Lock()


def wait_slots() -> threading.BoundedSemaphore:
    global _wait_slots
    with _wait_slots_lock:
        if _wait_slots is None:
            _wait_slots = threading.BoundedSemaphore(settings.API_WAIT_MAX_CONCURRENT)
        return _wait_slots


class ListApi(APIView):
    """A paginated list answered with ``serializer_class``."""

    serializer_class: type[serializers.Serializer]
    pagination_class = PageNumberPagination

    def paginated(self, request: Request, queryset: QuerySet[Any]) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        data = self.serializer_class(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)


class UnknownPathApi(APIView):
    """Any other path under the API: a JSON 404, not the site's HTML page."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    schema = None

    def _not_found(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise exceptions.NotFound("Not found.")

    get = post = put = patch = delete = _not_found
