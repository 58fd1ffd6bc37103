"""Failed logins counted per client address and per account, in the shared cache (birdsite.ratelimits).

Every way in checks here, because every way in calls ``django.contrib.auth.authenticate``: the login
page, ``/admin/login/`` and the API's token endpoint all reach :class:`ThrottledModelBackend`
(birdsite/accounts/backends.py). The failure that brings the address or the account to
``LOGIN_FAILURE_LIMIT`` within a sliding ``LOGIN_FAILURE_WINDOW_SECONDS`` blocks it for that long, during
which logins are refused without checking the password. The address is the client's as the trusted
proxies saw it, so behind a reverse proxy one guesser does not lock out everybody else.
"""

from __future__ import annotations

import logging

from django.conf import settings

from birdsite import ratelimits

log = logging.getLogger(__name__)
MESSAGE = "Too many failed attempts to log in. Please wait a while and try again."


def _keys(*, address: str, username: str) -> list[str]:
    keys = [f"login:user:{username.strip().lower()[:150]}"]
    if address:  # authenticate() without a request (manage.py, tests' client.login)
        keys.append(f"login:addr:{address}")
    return keys


def login_check(*, address: str, username: str, now: float | None = None) -> None:
    """Raise ``ratelimits.Throttled`` while the address or the account is blocked."""
    for key in _keys(address=address, username=username):
        left = ratelimits.blocked_for(key=key, now=now)
        if left is not None:
            raise ratelimits.Throttled(MESSAGE, retry_after=left)


def login_failed(*, address: str, username: str, now: float | None = None) -> None:
    """Count a failure; the one that reaches the limit blocks for a whole window from now."""
    period = settings.LOGIN_FAILURE_WINDOW_SECONDS
    for key in _keys(address=address, username=username):
        try:
            failures = ratelimits.window(key=key, period=period, add=True, now=now)
        except Exception:
            log.warning("login throttling: cache unavailable, failure not counted", exc_info=True)
            continue
        if failures.estimate >= settings.LOGIN_FAILURE_LIMIT:
            ratelimits.block(key=key, seconds=period, now=now)


def login_succeeded(*, username: str, now: float | None = None) -> None:
    """The account's own count starts again; the address's does not (one good account must not
    launder an address's guesses at others)."""
    (account_key,) = _keys(address="", username=username)
    ratelimits.forget(key=account_key, period=settings.LOGIN_FAILURE_WINDOW_SECONDS, now=now)
