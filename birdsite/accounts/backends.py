"""The one authentication backend: Django's ModelBackend behind the login throttle."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from birdsite import ratelimits
from birdsite.accounts import throttling


class ThrottledModelBackend(ModelBackend):
    """Refuses (``ratelimits.Throttled``, not ``None``) while blocked, so callers can say why."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        name = username if username is not None else kwargs.get("username", "")
        if not name or password is None:
            return super().authenticate(request, username=username, password=password, **kwargs)
        address = ratelimits.client_address(request) if request is not None else ""
        throttling.login_check(address=address, username=name)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            throttling.login_failed(address=address, username=name)
        else:
            throttling.login_succeeded(username=name)
        return user
