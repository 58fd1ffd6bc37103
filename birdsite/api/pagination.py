from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=N&page_size=M``; the default size comes from ``API_PAGE_SIZE``, at most 100."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Any) -> int:
        self.page_size = settings.API_PAGE_SIZE
        return super().get_page_size(request)
