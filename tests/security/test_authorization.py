"""An authorization matrix over every URL pattern and every HTTP method: anonymous, owner, stranger, staff.

Rules, whatever the view: nobody gets a 500; anonymous is sent to log in (or 401/403/404/405) except on the
public pages; a stranger and a staff member outside the staff area never reach the owner's objects
(403/404/405) and never see the owner's data; the staff area (``/admin/``, ``/staff/``,
``/api/v1/staff/``) refuses non-staff; no request by anyone else changes what the owner has.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.security.conftest import SECRET, owner_counts
from tests.security.urls import Route, all_routes

pytestmark = pytest.mark.django_db

ROUTES = all_routes()
METHODS = ("get", "post", "put", "patch", "delete")
PUBLIC = {
    "login",
    "signup",
    "logout",
    "api:root",
    "api:token-obtain",
    "api:schema",
    "api:docs",
    "admin:login",
    "admin:logout",
    "ops:healthz",
    "ops:readyz",
}
REFUSED = {401, 403, 404, 405}
# A readiness probe says "not ready" with a 503 (in these tests no worker beats): an answer, not an error.
MAY_ANSWER_503 = {"ops:readyz"}


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT="text/html,application/json")
    if user is not None:
        client.force_login(user)
    return client


def request(client: Client, method: str, route: Route):
    return getattr(client, method)(route.path, data={} if method == "get" else None, follow=False)


def goes_to_login(response) -> bool:
    return response.status_code == 302 and "login" in response.get("Location", "")


def test_the_matrix_covers_every_app_and_the_api() -> None:
    namespaces = {route.namespace for route in ROUTES}
    assert {"api", "photos", "batches", "sightings", "admin"} <= namespaces
    assert len(ROUTES) > 50


def problems_for(user, check) -> list[str]:
    """Every (route, method) a role requests; ``check`` returns what is wrong with one answer, if anything."""
    found = []
    for route in ROUTES:
        for method in METHODS:
            response = request(client_for(user), method, route)
            failed = response.status_code >= 500
            if response.status_code == 503 and route.qualified_name in MAY_ANSWER_503:
                failed = False
            problem = "500" if failed else check(route, method, response)
            if not problem and SECRET.encode() in getattr(response, "content", b""):
                problem = "shows the owner's data"
            if problem:
                found.append(f"{method.upper()} {route}: {response.status_code} {problem}")
    return found


def test_anonymous_is_sent_to_log_in_everywhere_but_the_public_pages(worlds, owner) -> None:
    def check(route: Route, method: str, response) -> str | None:
        if route.qualified_name in PUBLIC or goes_to_login(response) or response.status_code in REFUSED:
            return None
        return "answered without a login"

    before = owner_counts(owner)
    assert not (found := problems_for(None, check)), "\n".join(found)
    assert owner_counts(owner) == before


def test_a_stranger_never_reaches_the_owners_objects(worlds, owner, stranger) -> None:
    def check(route: Route, method: str, response) -> str | None:
        refused = goes_to_login(response) or response.status_code in REFUSED
        if route.staff_area and route.qualified_name not in PUBLIC and not refused:
            return "non-staff in the staff area"
        if route.has_object and not route.staff_area and response.status_code not in REFUSED:
            return "reached the owner's object"
        return None

    before = owner_counts(owner)
    assert not (found := problems_for(stranger, check)), "\n".join(found)
    assert owner_counts(owner) == before


def test_staff_gets_no_more_than_a_stranger_outside_the_staff_area(worlds, owner, staff) -> None:
    def check(route: Route, method: str, response) -> str | None:
        if route.has_object and not route.staff_area and response.status_code not in REFUSED:
            return "staff reached the owner's object outside the staff area"
        return None

    before = owner_counts(owner)
    assert not (found := problems_for(staff, check)), "\n".join(found)
    assert owner_counts(owner) == before


def test_the_owner_reaches_every_page_without_an_error(worlds, owner) -> None:
    problems = []
    for route in ROUTES:
        if route.staff_area:
            continue
        response = request(client_for(owner), "get", route)
        failed = response.status_code >= 500 and not (
            response.status_code == 503 and route.qualified_name in MAY_ANSWER_503
        )
        if failed or (route.has_object and response.status_code not in (200, 302, 405)):
            problems.append(f"GET {route}: {response.status_code}")
    assert problems == []


def test_staff_reaches_the_admin_and_staff_pages(worlds, staff) -> None:
    client = client_for(staff)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/photos/photo/").status_code == 403  # staff without model permissions
