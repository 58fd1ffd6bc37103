"""Upload and token throttles: per user and per client IP, rates from settings (read per request).

Counters live in Django's default cache (per process with the default local-memory cache).
The client IP is the socket's address unless ``API_NUM_PROXIES`` trusts X-Forwarded-For.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle


class _SettingsRateThrottle(SimpleRateThrottle):
    @property  # type: ignore[override]
    def cache(self) -> Any:
        return caches["default"]

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATES.get(self.scope)


class UploadUserThrottle(_SettingsRateThrottle):
    scope = "upload_user"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class _IpThrottle(_SettingsRateThrottle):
    def get_cache_key(self, request: Any, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class UploadIpThrottle(_IpThrottle):
    scope = "upload_ip"


class TokenIpThrottle(_IpThrottle):
    """Password logins at ``POST /auth/token/``: slows guessing from one address."""

    scope = "token_ip"


UPLOAD_THROTTLES = [UploadUserThrottle, UploadIpThrottle]
