"""Failed logins counted per client address and per account, and new accounts per client address, in the
shared cache (birdsite.ratelimits).

Every way in checks here, because every way in calls ``django.contrib.auth.authenticate``: the login
page, ``/admin/login/`` and the API's token endpoint all reach :class:`ThrottledModelBackend`
(birdsite/accounts/backends.py). The failure that brings the account to ``LOGIN_FAILURE_LIMIT``, or the
address to ``LOGIN_FAILURE_ADDRESS_LIMIT``, within a sliding ``LOGIN_FAILURE_WINDOW_SECONDS`` blocks it for
that long, during which logins are refused without checking the password. The address is the client's as
the trusted proxies saw it, so behind a reverse proxy one guesser does not lock out everybody else.
"""

from __future__ import annotations

import logging

from django.conf import settings

from birdsite import ratelimits

log = logging.getLogger(__name__)
MESSAGE = "Too many failed attempts to log in. Please wait a while and try again."
SIGNUP_MESSAGE = "Too many new accounts from your address for now. Please wait a while and try again."


def _limits(*, address: str, username: str) -> list[tuple[str, int]]:
    """Each counter with its limit. The address's is higher than the account's: behind one address (a
    household, an office's NAT) one user's bad passwords must not lock out the others, while an address
    guessing at many accounts is still stopped."""
    limits = [(f"login:user:{username.strip().lower()[:150]}", settings.LOGIN_FAILURE_LIMIT)]
    if address:  # authenticate() without a request (manage.py, tests' client.login)
        limits.append((f"login:addr:{address}", settings.LOGIN_FAILURE_ADDRESS_LIMIT))
    return limits


def login_check(*, address: str, username: str, now: float | None = None) -> None:
    """Raise ``ratelimits.Throttled`` while the address or the account is blocked."""
    for key, _ in _limits(address=address, username=username):
        left = ratelimits.blocked_for(key=key, now=now)
        if left is not None:
            raise ratelimits.Throttled(MESSAGE, retry_after=left)


def login_failed(*, address: str, username: str, now: float | None = None) -> None:
    """Count a failure; the one that reaches a counter's limit blocks it for a whole window from now."""
    period = settings.LOGIN_FAILURE_WINDOW_SECONDS
    for key, limit in _limits(address=address, username=username):
        try:
            failures = ratelimits.window(key=key, period=period, add=True, now=now)
        except Exception:
            log.warning("login throttling: cache unavailable, failure not counted", exc_info=True)
            continue
        if failures.estimate >= limit:
            ratelimits.block(key=key, seconds=period, now=now)


def login_succeeded(*, username: str, now: float | None = None) -> None:
    """The account's own count starts again; the address's does not (one good account must not
    launder an address's guesses at others)."""
    ((account_key, _),) = _limits(address="", username=username)
    ratelimits.forget(key=account_key, period=settings.LOGIN_FAILURE_WINDOW_SECONDS, now=now)


def signup_take(*, address: str, now: float | None = None) -> None:
    """Count one new account for ``address`` (``signup_ip`` of ``API_THROTTLE_RATES``); over it, raise
    ``ratelimits.Throttled`` and count nothing, so a refused address is not kept out longer by retrying."""
    rate = ratelimits.Rate.parse(settings.API_THROTTLE_RATES["signup_ip"])
    wait = ratelimits.take(key=f"signup:addr:{address}", rate=rate, amount=1, now=now)
    if wait is not None:
        raise ratelimits.Throttled(SIGNUP_MESSAGE, retry_after=wait)
