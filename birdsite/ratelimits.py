"""Rate limits shared by every process: sliding windows (:class:`Window`) kept in Django's default cache.

The cache is Redis when ``REDIS_URL`` is set, else the database cache (settings.CACHES, with an exact
``incr``: birdsite/db_cache.py), so every web process counts into the same window, and a limit holds
exactly however many of them count at once (:func:`_charge`). A refused request counts nothing, so its
``retry_after`` is the time until one more fits, never longer than the window. The client is the
address the trusted proxies saw (:func:`client_address`); without ``TRUSTED_PROXIES`` it is the socket's
address. A cache that is down never blocks anybody: throttles are a brake on abuse, not a reason to stop
serving (a busy SQLite file is not down: its writers wait their turn, birdsite/sqlite.py).

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
from dataclasses import dataclass, replace
from functools import wraps
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse

from birdsite.errors import Refused, refusal_response

log = logging.getLogger(__name__)
_PERIOD_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
UPLOAD_MESSAGE = "Too many uploads for now. Try again in {wait}."


class Throttled(Refused):
    """Too many requests of one kind; ``retry_after`` seconds until one more fits."""

    default_code = "throttled"

    def __init__(self, message: str, *, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__("throttled", message)  # retry_after: the body's own field, said once


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


clock = time.time  # the throttles' time; tests set it


def _now(now: float | None) -> float:
    return clock() if now is None else now


@dataclass(frozen=True)
class Window:
    """A sliding window estimated from two fixed ones: this window's count plus the previous window's,
    weighted by the share of it the sliding period still covers (no reset to zero at a boundary).

    Each fixed window also keeps when its last request came. Once the sliding period has moved past it,
    the previous window's requests are all older than the period and count no more, so no wait is ever
    longer than the period the budget is counted over.
    """

    current: int
    previous: int
    fraction: float  # of the current fixed window already gone
    period: int
    previous_last: float = 1.0  # when the previous window's last request came, as a fraction of it
    current_last: float | None = None  # the same in this window (None: now)

    def _weight(self, fraction: float) -> float:
        return 0.0 if fraction >= self.previous_last else 1 - fraction

    @property
    def estimate(self) -> float:
        return self.current + self.previous * self._weight(self.fraction)

    def seconds_until_under(self, limit: float) -> int:
        """How long until the estimate is back at ``limit`` or below (no new requests meanwhile)."""
        limit = max(0.0, limit)
        left = (1 - self.fraction) * self.period
        if self.current > limit:  # next window, where this one is the previous: it decays, or has all gone
            last = self.fraction if self.current_last is None else self.current_last
            wait = left + min(1 - limit / self.current, last) * self.period
        elif self.previous:
            decayed = max(self.fraction, 1 - (limit - self.current) / self.previous)
            wait = (min(decayed, self.previous_last) - self.fraction) * self.period
        else:
            wait = 0
        return max(1, math.ceil(wait))


def _fraction(moment: float, window: int, period: int) -> float:
    """How far into fixed window number ``window`` ``moment`` is (0 at its start, 1 at its end)."""
    return (moment - window * period) / period


def _keys(key: str, period: int, now: float) -> tuple[str, str, float, int]:
    number = int(now // period)
    fraction = _fraction(now, number, period)
    # Kept through the next window too, where it is the "previous" one.
    timeout = math.ceil((1 - fraction) * period) + period + 1
    return f"rate:{key}:{number}", f"rate:{key}:{number - 1}", fraction, timeout


def _add(key: str, amount: int, timeout: int) -> int:
    """Add ``amount`` to the counter ``key`` in one atomic step of the cache (a new counter lives
    ``timeout`` seconds); the new total. A negative ``amount`` gives back what a refusal counted."""
    for _ in range(3):
        if amount > 0 and cache.add(key, amount, timeout=timeout):
            return amount
        try:
            return cache.incr(key, amount)  # keeps the expiry (Redis, birdsite/db_cache.py)
        except ValueError:  # gone since (it expired): nothing to give back, or start it again
            if amount <= 0:
                return 0
    raise RuntimeError(f"the cache neither adds nor increments {key}")


def _read(key: str, period: int, now: float, *, current: int | None = None) -> Window:
    current_key, previous_key, fraction, _ = _keys(key, period, now)
    names = [current_key, previous_key, f"{current_key}:last", f"{previous_key}:last"]
    got = cache.get_many(names)
    number = int(now // period)
    current_last, previous_last = got.get(names[2]), got.get(names[3])
    return Window(
        current=int(got.get(current_key, 0)) if current is None else current,
        previous=int(got.get(previous_key, 0)),
        fraction=fraction,
        period=period,
        previous_last=1.0 if previous_last is None else _fraction(previous_last, number - 1, period),
        current_last=None if current_last is None else _fraction(current_last, number, period),
    )


def _counted(current_key: str, now: float, timeout: int) -> None:
    cache.set(f"{current_key}:last", now, timeout=timeout)


def window(*, key: str, period: int, add: bool = False, now: float | None = None) -> Window:
    """The sliding window of ``key`` (after counting one more when ``add``); raises if the cache is down."""
    at = _now(now)
    if not add:
        return _read(key, period, at)
    current_key, _, _, timeout = _keys(key, period, at)
    total = _add(current_key, 1, timeout)
    _counted(current_key, at, timeout)
    return _read(key, period, at, current=total)


def _charge(charges: list[tuple[str, Rate, int]], now: float | None) -> int | None:
    """Count each charge's amount under its key unless one of them would go over its rate: then count
    none of them and return the seconds until they all fit, else None. A refusal costs nothing.

    Exact with any number of processes at once: each amount is added in one atomic step and judged by
    the total that step returned; one that went over is given back. So the counters are never below
    what was admitted, and what was admitted never passes a limit.
    """
    at = _now(now)
    counted: list[tuple[str, int, int]] = []
    waits: list[int] = []
    try:
        for key, rate, amount in charges:
            current_key, _, _, timeout = _keys(key, rate.period, at)
            if waits:  # refused already: only how long this one would wait
                seen = _read(key, rate.period, at)
            else:
                total = _add(current_key, amount, timeout)
                counted.append((current_key, amount, timeout))
                seen = _read(key, rate.period, at, current=total - amount)
            if seen.estimate + amount > rate.count:
                # Past the limit the count holds others' refusals not given back yet: what was admitted
                # is at most the limit, and only that has to age out of the window.
                admitted = replace(seen, current=min(seen.current, rate.count))
                waits.append(admitted.seconds_until_under(rate.count - amount))
        if waits:
            for current_key, amount, timeout in counted:
                _add(current_key, -amount, timeout)
            return max(waits)
        for current_key, _, timeout in counted:
            _counted(current_key, at, timeout)
    except Exception:
        log.warning("rate limit %s: cache unavailable, not limiting", [c[0] for c in charges], exc_info=True)
    return None


def hit(*, key: str, rate: Rate, now: float | None = None) -> int | None:
    """Count one request under ``key`` unless that makes it over ``rate``: then count nothing and return
    the seconds until one more fits (a refused request does not push that further out), else None."""
    return _charge([(key, rate, 1)], now)


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
    names = [current_key, previous_key, f"{current_key}:last", f"{previous_key}:last", f"rate:{key}:blocked"]
    try:
        cache.delete_many(names)
    except Exception:
        log.warning("rate limit %s: cache unavailable, not reset", key, exc_info=True)


def take(*, key: str, rate: Rate, amount: int, now: float | None = None) -> int | None:
    """Count ``amount`` under ``key`` unless that would go over ``rate``: then count nothing and return
    the seconds until the window has room again. A refusal costs nothing, so a batch refused near the
    end of the budget does not also use up what is left of it."""
    return _charge([(key, rate, amount)], now)


def take_all(*, budgets: list[tuple[str, Rate]], amount: int, now: float | None = None) -> int | None:
    """:func:`take` on several budgets at once: ``amount`` is counted under every key only if it fits in
    every one, so one refusal charges none of them (a user's refused batch must not use up the budget
    of everyone behind the same address)."""
    return _charge([(key, rate, amount) for key, rate in budgets], now)


def wait_in_words(seconds: int) -> str:
    """A ``retry_after`` as people say it: "40 seconds", "12 minutes", "1 hour and 5 minutes"."""

    def count(n: int, unit: str) -> str:
        return f"{n} {unit}{'' if n == 1 else 's'}"

    if seconds < 60:
        return count(max(1, seconds), "second")
    hours, minutes = divmod(math.ceil(seconds / 60), 60)
    if not hours:
        return count(minutes, "minute")
    return count(hours, "hour") + (f" and {count(minutes, 'minute')}" if minutes else "")


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


def upload_hit(
    *, user_id: int, address: str, photos: int = 1, new_request: bool = True, now: float | None = None
) -> None:
    """An upload by ``user_id`` from ``address``: ``photos`` photos, and one request unless ``new_request``
    is False (a further group of files of a batch already counted).

    Raises :class:`Throttled` when the user or the address is over a rate: requests
    (``API_UPLOAD_RATE_USER``, ``API_UPLOAD_RATE_IP``) or photos (``API_UPLOAD_PHOTO_RATE_USER``,
    ``API_UPLOAD_PHOTO_RATE_IP``). The web form, the batch page and the API share these counters.
    """
    rates = settings.API_THROTTLE_RATES
    charges = [
        (f"upload-photos:user:{user_id}", Rate.parse(rates["upload_photos_user"]), photos),
        (f"upload-photos:addr:{address}", Rate.parse(rates["upload_photos_ip"]), photos),
    ]
    if new_request:  # all or nothing: a request refused for its photos is not counted either
        charges[:0] = [
            (f"upload:user:{user_id}", Rate.parse(rates["upload_user"]), 1),
            (f"upload:addr:{address}", Rate.parse(rates["upload_ip"]), 1),
        ]
    wait = _charge(charges, now)
    if wait is not None:
        raise Throttled(UPLOAD_MESSAGE.format(wait=wait_in_words(wait)), retry_after=wait)


def request_upload_hit(request: Any, *, new_request: bool = True) -> None:
    """:func:`upload_hit` for a signed-in Django or DRF request, its photos counted from its files."""
    photos = photos_in(_request_files(request))
    upload_hit(
        user_id=request.user.pk, address=client_address(request), photos=photos, new_request=new_request
    )


def throttled_response(request: HttpRequest, exc: Throttled) -> HttpResponse:
    """429 for the web pages: the JSON they already speak for scripts, a short page for people."""
    if "application/json" in request.headers.get("Accept", ""):
        return refusal_response(exc)
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
