"""Every URL pattern of the project, from Django's resolver, with concrete paths to request.

A new ``path()`` anywhere is in the list the next time the tests run. Integer parameters get ``OWNED_ID``:
the security tests create the owner's objects first with every table's id sequence set to it, so one id
names the owner's photo, job, sighting, batch, token... whatever model the view looks up.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

OWNED_ID = 424242
SAMPLES = {"int": str(OWNED_ID), "str": "amegfi", "slug": "amegfi", "path": str(OWNED_ID), "uuid": "0" * 32}
# Admin regex patterns (app index) and the API's catch-all get a concrete sample; nothing else is skipped.
REGEX_SAMPLES = {"app_list": "admin/photos/", "unknown": "api/v1/no-such-thing/"}


@dataclass(frozen=True)
class Route:
    path: str
    name: str
    namespace: str
    has_object: bool

    @property
    def qualified_name(self) -> str:
        return f"{self.namespace}:{self.name}" if self.namespace else self.name

    @property
    def staff_area(self) -> bool:
        return self.path.startswith(("/admin/", "/staff/", "/api/v1/staff/"))

    def __str__(self) -> str:
        return f"{self.path} ({self.namespace + ':' if self.namespace else ''}{self.name})"


def _fill(route: str) -> str:
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLES[m.group(1) or "str"], route)


def _walk(patterns: list, prefix: str, namespace: str) -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = ":".join(filter(None, [namespace, pattern.namespace or ""]))
            yield from _walk(pattern.url_patterns, prefix + _part(pattern), ns)
        elif isinstance(pattern, URLPattern):
            if isinstance(pattern.pattern, RoutePattern):
                path = "/" + prefix + _fill(str(pattern.pattern))
                has_object = bool(re.search(r"<(int|path):(pk|id|object_id)>", str(pattern.pattern)))
            else:
                catch_all = "/" + prefix + "no-such-page/" if ".*" in str(pattern.pattern) else None
                sample = REGEX_SAMPLES.get(pattern.name or "") or catch_all
                if sample is None:
                    raise AssertionError(
                        f"no sample path for the regex URL {pattern.pattern} ({pattern.name})"
                    )
                path, has_object = ("/" + sample).replace("//", "/"), False
            yield Route(path, pattern.name or "", namespace, has_object)


def _part(resolver: URLResolver) -> str:
    if isinstance(resolver.pattern, RoutePattern):
        return _fill(str(resolver.pattern))
    return str(resolver.pattern).lstrip("^").replace("\\", "")


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns, "", ""))
