"""Rate limits shared by every process: fixed-window counters in Django's default cache.

The cache is Redis when ``REDIS_URL`` is set, else the database cache (settings.CACHES), so every web
process counts into the same window. The client is the address the trusted proxies saw
(:func:`client_address`); without ``TRUSTED_PROXIES`` it is the socket's address. A cache that is down
never blocks anybody: throttles are a brake on abuse, not a reason to stop serving.

Uploads (the photo form, the batch page and the API) all pass through :func:`upload_hit`, so one
budget holds whichever way the photos arrive.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse

from birdsite.errors import Refused

log = logging.getLogger(__name__)
_PERIOD_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
UPLOAD_MESSAGE = "Too many uploads for now. Please wait a while and try again."


class Throttled(Refused):
    """Too many requests of one kind; ``retry_after`` seconds until the window ends."""

    default_code = "throttled"

    def __init__(self, message: str, *, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__("throttled", message, details={"retry_after": retry_after})


@dataclass(frozen=True)
class Rate:
    count: int
    period: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``"120/hour"`` as settings hold it (birdsite.env.env_rate has already checked it)."""
        count, _, period = text.partition("/")
        return cls(int(count), _PERIOD_SECONDS[period])


def _address(text: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address: IPv4Address | IPv6Address) -> bool:
    return any(address in network for network in settings.TRUSTED_PROXIES)


def client_address(request: HttpRequest) -> str:
    """The client's address: X-Forwarded-For is read only when the socket's peer is a trusted proxy.

    The header is walked from the right (the hop our proxy added) past every trusted proxy; the first
    address no proxy of ours vouches for is the client. Entries left of it are the client's own claims.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    peer = _address(remote)
    if peer is None or not _trusted(peer):
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    client = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:  # garbage our proxy passed along: the last hop we could vouch for
            break
        client = address
        if not _trusted(address):
            break
    return str(client)


def _window(period: int, now: float) -> tuple[int, int]:
    """The current window's number and the whole seconds left in it (at least 1)."""
    return int(now // period), max(1, math.ceil(period - now % period))


def _increment(key: str, timeout: int) -> int:
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1
    # incr keeps the expiry in Redis; the database cache's incr resets it to the default timeout.
    cache.touch(key, timeout)
    return count


def hit(*, key: str, rate: Rate, now: float | None = None) -> int | None:
    """Count one request under ``key``; the seconds to wait when that makes it over ``rate``, else None."""
    number, left = _window(rate.period, time.time() if now is None else now)
    try:
        total = _increment(f"rate:{key}:{number}", left + 1)
    except Exception:
        log.warning("rate limit %s: cache unavailable, not limiting", key, exc_info=True)
        return None
    return left if total > rate.count else None


def count(*, key: str, period: int, now: float | None = None) -> int:
    """How many times ``key`` was bumped in the current window of ``period`` (0 when the cache is down)."""
    number, _ = _window(period, time.time() if now is None else now)
    try:
        return int(cache.get(f"rate:{key}:{number}", 0))
    except Exception:
        log.warning("rate limit %s: cache unavailable, not limiting", key, exc_info=True)
        return 0


def bump(*, key: str, period: int, now: float | None = None) -> None:
    number, left = _window(period, time.time() if now is None else now)
    try:
        _increment(f"rate:{key}:{number}", left + 1)
    except Exception:
        log.warning("rate limit %s: cache unavailable, not counted", key, exc_info=True)


def reset(*, key: str, period: int, now: float | None = None) -> None:
    number, _ = _window(period, time.time() if now is None else now)
    try:
        cache.delete(f"rate:{key}:{number}")
    except Exception:
        log.warning("rate limit %s: cache unavailable, not reset", key, exc_info=True)


def seconds_left(*, period: int, now: float | None = None) -> int:
    return _window(period, time.time() if now is None else now)[1]


def upload_hit(*, user_id: int, address: str) -> None:
    """One upload request (a photo, a batch or a group of batch files) by ``user_id`` from ``address``.

    Raises :class:`Throttled` when the user or the address is over its rate (``API_UPLOAD_RATE_USER``,
    ``API_UPLOAD_RATE_IP``); the web form, the batch page and the API share these counters.
    """
    rates = settings.API_THROTTLE_RATES
    waits = [
        hit(key=f"upload:user:{user_id}", rate=Rate.parse(rates["upload_user"])),
        hit(key=f"upload:addr:{address}", rate=Rate.parse(rates["upload_ip"])),
    ]
    wait = max((w for w in waits if w is not None), default=None)
    if wait is not None:
        raise Throttled(UPLOAD_MESSAGE, retry_after=wait)


def throttled_response(request: HttpRequest, exc: Throttled) -> HttpResponse:
    """429 for the web pages: the JSON they already speak for scripts, a short page for people."""
    if "application/json" in request.headers.get("Accept", ""):
        body = {"code": exc.code, "error": exc.message, "retry_after": exc.retry_after}
        response: HttpResponse = JsonResponse(body, status=429)
    else:
        response = HttpResponse(exc.message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(exc.retry_after)
    return response


def uploads_throttled(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Count each POST to a web upload view (signed-in users only: the view's login check runs first)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST" and request.user.is_authenticated:
            try:
                upload_hit(user_id=request.user.pk, address=client_address(request))
            except Throttled as exc:
                return throttled_response(request, exc)
        return view(request, *args, **kwargs)

    return wrapped
