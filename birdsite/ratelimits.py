"""Rate limits shared by every process: fixed-window counters in Django's default cache.

The cache is Redis when ``REDIS_URL`` is set, else the database cache (settings.CACHES), so every web
process counts into the same window. The client is the address the trusted proxies saw
(:func:`client_address`); without ``TRUSTED_PROXIES`` it is the socket's address. A cache that is down
never blocks anybody: throttles are a brake on abuse, not a reason to stop serving.

Uploads (the photo form, the batch page and the API) all pass through :func:`upload_hit`, so one
budget holds whichever way the photos arrive. Two budgets: upload *requests* (a photo, a new batch) and
*photos* (every file sent, each member of a ZIP). A batch is one request however many groups of files
its page sends, so the largest batch (``BATCH_MAX_FILES``) fits; its photos count one by one.
"""

from __future__ import annotations

import logging
import math
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
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


def _now(now: float | None) -> float:
    return time.time() if now is None else now


@dataclass(frozen=True)
class Window:
    """A sliding window estimated from two fixed ones: this window's count plus the previous window's,
    weighted by the share of it the sliding period still covers (no reset to zero at a boundary)."""

    current: int
    previous: int
    fraction: float  # of the current fixed window already gone
    period: int

    @property
    def estimate(self) -> float:
        return self.current + self.previous * (1 - self.fraction)

    def seconds_until_under(self, limit: int) -> int:
        """How long until the estimate is back at ``limit`` or below (no new requests meanwhile)."""
        left = (1 - self.fraction) * self.period
        if self.current > limit:  # next window: current becomes previous and must decay to the limit
            wait = left + self.period * (1 - limit / self.current)
        elif self.previous:
            wait = ((1 - (limit - self.current) / self.previous) - self.fraction) * self.period
        else:
            wait = 0
        return max(1, math.ceil(wait))


def _keys(key: str, period: int, now: float) -> tuple[str, str, float, int]:
    number = int(now // period)
    fraction = (now % period) / period
    # Kept through the next window too, where it is the "previous" one.
    timeout = math.ceil((1 - fraction) * period) + period + 1
    return f"rate:{key}:{number}", f"rate:{key}:{number - 1}", fraction, timeout


def _increment(key: str, timeout: int) -> int:
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        total = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1
    # incr keeps the expiry in Redis; the database cache's incr resets it to the default timeout.
    cache.touch(key, timeout)
    return total


def window(*, key: str, period: int, add: bool = False, now: float | None = None) -> Window:
    """The sliding window of ``key`` (after counting one more when ``add``); raises if the cache is down."""
    current_key, previous_key, fraction, timeout = _keys(key, period, _now(now))
    current = _increment(current_key, timeout) if add else int(cache.get(current_key, 0))
    return Window(current, int(cache.get(previous_key, 0)), fraction, period)


def hit(*, key: str, rate: Rate, now: float | None = None) -> int | None:
    """Count one request under ``key``; the seconds to wait when that makes it over ``rate``, else None."""
    try:
        counted = window(key=key, period=rate.period, add=True, now=now)
    except Exception:
        log.warning("rate limit %s: cache unavailable, not limiting", key, exc_info=True)
        return None
    return counted.seconds_until_under(rate.count) if counted.estimate > rate.count else None


def block(*, key: str, seconds: int, now: float | None = None) -> None:
    """Refuse ``key`` for ``seconds`` from now (see :func:`blocked_for`)."""
    try:
        cache.set(f"rate:{key}:blocked", _now(now) + seconds, timeout=seconds + 1)
    except Exception:
        log.warning("rate limit %s: cache unavailable, not blocked", key, exc_info=True)


def blocked_for(*, key: str, now: float | None = None) -> int | None:
    """Seconds left of a :func:`block` on ``key``, or None."""
    try:
        until = cache.get(f"rate:{key}:blocked")
    except Exception:
        log.warning("rate limit %s: cache unavailable, not limiting", key, exc_info=True)
        return None
    left = None if until is None else until - _now(now)
    return math.ceil(left) if left is not None and left > 0 else None


def forget(*, key: str, period: int, now: float | None = None) -> None:
    current_key, previous_key, _, _ = _keys(key, period, _now(now))
    try:
        cache.delete_many([current_key, previous_key, f"rate:{key}:blocked"])
    except Exception:
        log.warning("rate limit %s: cache unavailable, not reset", key, exc_info=True)


def take(*, key: str, rate: Rate, amount: int, now: float | None = None) -> int | None:
    """Count ``amount`` under ``key`` unless that would go over ``rate``: then count nothing and return
    the seconds until the window has room again. Unlike :func:`hit`, a refusal costs nothing, so a batch
    refused near the end of the budget does not also use up what is left of it."""
    return take_all(budgets=[(key, rate)], amount=amount, now=now)


def take_all(*, budgets: list[tuple[str, Rate]], amount: int, now: float | None = None) -> int | None:
    """:func:`take` on several budgets at once: ``amount`` is counted under every key only if it fits in
    every one, so one refusal charges none of them (a user's refused batch must not use up the budget
    of everyone behind the same address)."""
    try:
        waits = []
        for key, rate in budgets:
            seen = window(key=key, period=rate.period, now=now)
            if seen.estimate + amount > rate.count:
                waits.append(seen.seconds_until_under(max(0, rate.count - amount)))
        if waits:
            return max(waits)
        for key, rate in budgets:
            current_key, _, _, timeout = _keys(key, rate.period, _now(now))
            if not cache.add(current_key, amount, timeout=timeout):
                cache.incr(current_key, amount)
                cache.touch(current_key, timeout)
    except Exception:
        log.warning("rate limit %s: cache unavailable, not limiting", budgets, exc_info=True)
    return None


def _zip_members(upload: UploadedFile) -> int:
    """Files in a ZIP, read from its central directory only; 1 for what is no ZIP or is over the archive
    limits: the batch refuses those itself, with the reason (413), before any photo is read."""
    if upload.size is not None and upload.size > settings.BATCH_ZIP_MAX_ARCHIVE_BYTES:
        return 1
    try:
        with zipfile.ZipFile(upload.file) as archive:
            infos = archive.infolist()  # counted as the archive check counts them, folders too
            return 1 if len(infos) > settings.BATCH_ZIP_MAX_MEMBERS else sum(not i.is_dir() for i in infos)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return 1
    finally:
        upload.seek(0)


def photos_in(files: Iterable[tuple[str, UploadedFile]]) -> int:
    """Photos sent in one request's files (``(field, file)`` pairs): each file, each member of a ZIP
    ``archive``; at least 1, since any upload request (a region of a photo too) starts a classification."""
    return max(1, sum(_zip_members(f) if field == "archive" else 1 for field, f in files))


def _request_files(request: Any) -> list[tuple[str, UploadedFile]]:
    return [(field, f) for field, group in request.FILES.lists() for f in group]


def upload_hit(*, user_id: int, address: str, photos: int = 1, new_request: bool = True) -> None:
    """An upload by ``user_id`` from ``address``: ``photos`` photos, and one request unless ``new_request``
    is False (a further group of files of a batch already counted).

    Raises :class:`Throttled` when the user or the address is over a rate: requests
    (``API_UPLOAD_RATE_USER``, ``API_UPLOAD_RATE_IP``) or photos (``API_UPLOAD_PHOTO_RATE_USER``,
    ``API_UPLOAD_PHOTO_RATE_IP``). The web form, the batch page and the API share these counters.
    """
    rates = settings.API_THROTTLE_RATES
    waits: list[int | None] = []
    if new_request:
        waits.append(hit(key=f"upload:user:{user_id}", rate=Rate.parse(rates["upload_user"])))
        waits.append(hit(key=f"upload:addr:{address}", rate=Rate.parse(rates["upload_ip"])))
    if not any(waits):  # a request already refused takes no photos
        budgets = [
            (f"upload-photos:user:{user_id}", Rate.parse(rates["upload_photos_user"])),
            (f"upload-photos:addr:{address}", Rate.parse(rates["upload_photos_ip"])),
        ]
        waits.append(take_all(budgets=budgets, amount=photos))
    wait = max((w for w in waits if w is not None), default=None)
    if wait is not None:
        raise Throttled(UPLOAD_MESSAGE, retry_after=wait)


def request_upload_hit(request: Any, *, new_request: bool = True) -> None:
    """:func:`upload_hit` for a signed-in Django or DRF request, its photos counted from its files."""
    photos = photos_in(_request_files(request))
    upload_hit(
        user_id=request.user.pk, address=client_address(request), photos=photos, new_request=new_request
    )


def throttled_response(request: HttpRequest, exc: Throttled) -> HttpResponse:
    """429 for the web pages: the JSON they already speak for scripts, a short page for people."""
    if "application/json" in request.headers.get("Accept", ""):
        body = {"code": exc.code, "error": exc.message, "retry_after": exc.retry_after}
        response: HttpResponse = JsonResponse(body, status=429)
    else:
        response = HttpResponse(exc.message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(exc.retry_after)
    return response


def uploads_throttled(view: Callable[..., HttpResponse] | None = None, *, new_request: bool = True) -> Any:
    """Count each POST to a web upload view (signed-in users only: the view's login check runs first).

    ``@uploads_throttled(new_request=False)`` for the further groups of files of a batch: their photos
    count, the request does not (the batch was counted when it was made).
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "POST" and request.user.is_authenticated:
                try:
                    # A POST without files (nothing to do) still counts as a request, so it is no free loop.
                    request_upload_hit(request, new_request=new_request or not request.FILES)
                except Throttled as exc:
                    return throttled_response(request, exc)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate(view) if view is not None else decorate
