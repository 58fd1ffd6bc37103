"""Failed logins counted per client address and per username in the cache; past the limit the login
form refuses without checking the password until the window ends. A cache that is down never blocks."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)


def _keys(*, address: str, username: str) -> list[str]:
    return [f"login-failures:addr:{address}", f"login-failures:user:{username.strip().lower()[:150]}"]


def login_blocked(*, address: str, username: str) -> bool:
    try:
        counts = cache.get_many(_keys(address=address, username=username))
    except Exception:
        log.warning("login throttling: cache unavailable, not blocking", exc_info=True)
        return False
    return any(count >= settings.LOGIN_FAILURE_LIMIT for count in counts.values())


def login_failed(*, address: str, username: str) -> None:
    for key in _keys(address=address, username=username):
        try:
            cache.add(key, 0, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)
        except Exception:
            log.warning("login throttling: cache unavailable, failure not counted", exc_info=True)
