"""Failed logins counted per client address and per account, in the shared cache (birdsite.ratelimits).

Every way in checks here, because every way in calls ``django.contrib.auth.authenticate``: the login
page, ``/admin/login/`` and the API's token endpoint all reach :class:`ThrottledModelBackend`
(birdsite/accounts/backends.py). Past ``LOGIN_FAILURE_LIMIT`` failures in a window of
``LOGIN_FAILURE_WINDOW_SECONDS`` for the address or for the account, logins are refused without
checking the password until the window ends. The address is the client's as the trusted proxies saw it,
so behind a reverse proxy one guesser does not lock out everybody else.
"""

from __future__ import annotations

from django.conf import settings

from birdsite import ratelimits

MESSAGE = "Too many failed attempts to log in. Please wait a while and try again."


def _keys(*, address: str, username: str) -> list[str]:
    keys = [f"login:user:{username.strip().lower()[:150]}"]
    if address:  # authenticate() without a request (manage.py, tests' client.login)
        keys.append(f"login:addr:{address}")
    return keys


def login_check(*, address: str, username: str) -> None:
    """Raise ``ratelimits.Throttled`` while the address or the account is over the failure limit."""
    period = settings.LOGIN_FAILURE_WINDOW_SECONDS
    for key in _keys(address=address, username=username):
        if ratelimits.count(key=key, period=period) >= settings.LOGIN_FAILURE_LIMIT:
            raise ratelimits.Throttled(MESSAGE, retry_after=ratelimits.seconds_left(period=period))


def login_failed(*, address: str, username: str) -> None:
    for key in _keys(address=address, username=username):
        ratelimits.bump(key=key, period=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def login_succeeded(*, username: str) -> None:
    """The account's own count starts again; the address's does not (one good account must not
    launder an address's guesses at others)."""
    (account_key,) = _keys(address="", username=username)
    ratelimits.reset(key=account_key, period=settings.LOGIN_FAILURE_WINDOW_SECONDS)
