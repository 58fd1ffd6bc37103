"""Numbers out of range in a JSON body, at every door of the site that might read one: never a 500.

The doors are every URL pattern (tests/security/urls.py walks the resolver, so a new route joins) with
POST, PUT and PATCH, as the owner outside the staff area and as staff inside it, over the owner's world
(tests/security/conftest.py). Each door gets the bare number, then a body with every field at once as the
number and as a list holding it (a region is a list of numbers): the fields of its request schema for an
API operation, every field name the API knows (and ``region``) elsewhere; an API operation then gets each
of its fields alone. The numbers are those Python's ``json`` reads but a float, an integer column or a
comparison cannot take: ints past float's range or past 64 or 32 bits, 1e400 (inf), NaN, -0, digit
strings up to and past the int conversion limit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from tests.security.conftest import worlds  # noqa: F401 (the owner's world, ids at OWNED_ID)
from tests.security.urls import Route, all_routes

pytestmark = pytest.mark.django_db

NUMBERS = {
    "huge_int": "1" + "0" * 400,
    "past_int64": str(2**63),
    "past_int32": str(2**31),
    "inf": "1e400",
    "minus_inf": "-1e400",
    "nan_literal": "NaN",
    "minus_zero": "-0",
    "long_digits": "1" * 4000,
    "past_digit_limit": "9" * 5000,
}
METHODS = ("post", "put", "patch")
# Answers given before any body is read (a method not taken, no such object, no right to it, no login).
UNREAD = {302, 403, 404, 405}
SLOT = "@NUMBER@"  # replaced by the literal, which json.dumps could not write
# Deleting the owner's objects first would turn every later door into a 404: those go last.
LAST = re.compile(r"delete|cancel|logout|rollback|promote", re.IGNORECASE)


@cache
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _properties(body: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for content in body.get("content", {}).values():
        ref = content.get("schema", {}).get("$ref", "")
        component = schema()["components"]["schemas"].get(ref.rsplit("/", 1)[-1], content.get("schema", {}))
        names |= set(component.get("properties", {}))
    return names


@cache
def fields_by_operation() -> dict[tuple[str, str], set[str]]:
    """(path regex, method) → the field names of the operation's request body."""
    found = {}
    for path, item in schema()["paths"].items():
        pattern = "^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)) + "$"
        for method, operation in item.items():
            if "requestBody" in operation:
                found[(pattern, method)] = _properties(operation["requestBody"])
    return found


def every_field() -> set[str]:
    return set().union(*fields_by_operation().values()) | {"region"}


def fields_of(route: Route, method: str) -> set[str] | None:
    for (pattern, verb), names in fields_by_operation().items():
        if verb == method and re.match(pattern, route.path):
            return names
    return None


def body(fields: dict[str, str]) -> str:
    """JSON with ``SLOT`` standing for the number, so the literal goes in as written."""
    shapes = {"n": f'"{SLOT}"', "list": f'["{SLOT}", 0.1, 0.5, 0.5]'}
    text = json.dumps({name: SLOT for name in fields})
    for name, shape in fields.items():
        text = text.replace(f'"{name}": "{SLOT}"', f'"{name}": {shapes[shape]}')
    return text.replace(f'"{SLOT}"', SLOT)


def bodies(route: Route, method: str) -> Iterator[str]:
    """The bare number first: a door answering it with one of ``UNREAD`` read no body (the rest skipped)."""
    own = fields_of(route, method)
    names = sorted(own if own is not None else every_field())
    yield SLOT
    yield body(dict.fromkeys(names, "n"))
    yield body(dict.fromkeys(names, "list"))
    for name in sorted(own or ()):
        yield body({name: "n"})
        yield body({name: "list"})


def doors() -> list[tuple[Route, str]]:
    found = [(route, method) for route in all_routes() for method in METHODS]
    return sorted(found, key=lambda door: bool(LAST.search(door[0].path + door[0].name)))


@pytest.fixture
def open_throttles(settings) -> None:
    """Hundreds of requests from one user: the throttles would answer 429 before the checks are reached."""
    settings.API_THROTTLE_RATES = dict.fromkeys(settings.API_THROTTLE_RATES, "1000000/hour")
    settings.LOGIN_FAILURE_LIMIT = settings.LOGIN_FAILURE_ADDRESS_LIMIT = 1_000_000


@pytest.mark.parametrize("number", sorted(NUMBERS))
def test_it_never_answers_500_to_an_out_of_range_number_at_any_json_door(
    worlds,  # noqa: F811
    owner,
    staff,
    open_throttles,
    django_capture_on_commit_callbacks,
    number,
) -> None:
    literal, problems, tried = NUMBERS[number], [], 0
    clients = {
        False: Client(raise_request_exception=False, HTTP_ACCEPT="application/json"),
        True: Client(raise_request_exception=False, HTTP_ACCEPT="application/json"),
    }
    with django_capture_on_commit_callbacks(execute=False):  # nothing goes to the broker
        for route, method in doors():
            client = clients[route.staff_area]
            if "_auth_user_id" not in client.session:  # first, and after a door that logged it out
                client.force_login(staff if route.staff_area else owner)
            first, *_ = texts = list(bodies(route, method))
            for text in texts:
                send = getattr(client, method)
                response = send(route.path, text.replace(SLOT, literal), content_type="application/json")
                tried += 1
                if text == first and response.status_code in UNREAD:
                    break
                if response.status_code >= 500 and not (
                    response.status_code == 503 and route.qualified_name == "ops:readyz"
                ):
                    problems.append(f"{method.upper()} {route} {text[:80]}: {response.status_code}")
    assert tried > len(doors())
    assert problems == [], "\n".join(problems)
