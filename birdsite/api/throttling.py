"""The API's throttles: uploads share one budget with the web pages (birdsite.ratelimits.upload_hit);
token requests are limited per client address. Counters live in the shared cache, and the client
address is the one the trusted proxies saw (``TRUSTED_PROXIES``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from birdsite import ratelimits


class UploadThrottle(BaseThrottle):
    """Counts each upload request and its photos against the user's and the address's budgets (web pages
    included)."""

    def __init__(self) -> None:
        self.retry_after: int | None = None

    def allow_request(self, request: Any, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return True  # authentication refuses it anyway
        try:
            ratelimits.request_upload_hit(request)  # one request, and the photos it sends
        except ratelimits.Throttled as exc:
            self.retry_after = exc.retry_after
            return False
        return True

    def wait(self) -> float | None:
        return self.retry_after


class TokenIpThrottle(BaseThrottle):
    """``POST /auth/token/`` per client address (``API_TOKEN_RATE_IP``), failed or not; failed passwords
    are also counted by the login throttle every way in shares (birdsite/accounts/throttling.py)."""

    def __init__(self) -> None:
        self.retry_after: int | None = None

    def allow_request(self, request: Any, view: Any) -> bool:
        rate = ratelimits.Rate.parse(settings.API_THROTTLE_RATES["token_ip"])
        self.retry_after = ratelimits.hit(key=f"token:addr:{ratelimits.client_address(request)}", rate=rate)
        return self.retry_after is None

    def wait(self) -> float | None:
        return self.retry_after


UPLOAD_THROTTLES = [UploadThrottle]
