"""An authorization matrix over every URL pattern and every HTTP method: anonymous, owner, stranger, staff.

Rules, whatever the view: nobody gets a 500; anonymous is sent to log in (or 401/403/404/405) except on the
public pages; a stranger and a staff member outside the staff area never reach the owner's objects
(403/404/405) and never see the owner's data; the staff area (``/admin/``, ``/staff/``,
``/api/v1/staff/``) refuses non-staff; no request by anyone else changes what the owner has.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
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


class RoleClient:
    """One logged-in client per role, reused across the matrix (a fresh ``Client`` per request rebuilt the
    middleware each time: WhiteNoise rescans every static file, ~30 ms a request).

    Every request still starts as a fresh client would: only the role's own session cookie (no cookie an
    earlier answer set, such as messages), and a request that ended the session (a logout) is followed by a
    new login, so no later request of the role runs as anyone else.
    """

    def __init__(self, user) -> None:
        self.user = user
        self.client = Client(HTTP_ACCEPT="text/html,application/json")
        self.session_key: str | None = None
        self._log_in()

    def _log_in(self) -> None:
        self.client.cookies = SimpleCookie()
        if self.user is not None:
            self.client.force_login(self.user)
            self.session_key = self.client.session.session_key

    def _still_logged_in(self) -> bool:
        store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=self.session_key)
        return store.get(SESSION_KEY) == str(self.user.pk)

    def request(self, method: str, route: Route):
        cookies = SimpleCookie()
        if self.user is not None:
            cookies[settings.SESSION_COOKIE_NAME] = self.session_key
        self.client.cookies = cookies
        response = getattr(self.client, method)(
            route.path, data={} if method == "get" else None, follow=False
        )
        if self.user is not None and not self._still_logged_in():
            self._log_in()
        return response


def goes_to_login(response) -> bool:
    return response.status_code == 302 and "login" in response.get("Location", "")


def test_a_role_client_is_still_the_role_after_a_logout(owner) -> None:
    client = RoleClient(owner)
    logout = next(route for route in ROUTES if route.qualified_name == "logout")
    client.request("post", logout)
    assert client.client.session.get(SESSION_KEY) == str(owner.pk)
    assert client.request("get", next(r for r in ROUTES if r.qualified_name == "account")).status_code == 200


def test_the_matrix_covers_every_app_and_the_api() -> None:
    namespaces = {route.namespace for route in ROUTES}
    assert {"api", "photos", "batches", "sightings", "admin"} <= namespaces
    assert len(ROUTES) > 50


def problems_for(user, check) -> list[str]:
    """Every (route, method) a role requests; ``check`` returns what is wrong with one answer, if anything."""
    found = []
    client = RoleClient(user)
    for route in ROUTES:
        for method in METHODS:
            response = client.request(method, route)
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
    client = RoleClient(owner)
    for route in ROUTES:
        if route.staff_area:
            continue
        response = client.request("get", route)
        failed = response.status_code >= 500 and not (
            response.status_code == 503 and route.qualified_name in MAY_ANSWER_503
        )
        if failed or (route.has_object and response.status_code not in (200, 302, 405)):
            problems.append(f"GET {route}: {response.status_code}")
    assert problems == []


def test_staff_reaches_the_admin_and_staff_pages(worlds, staff) -> None:
    client = RoleClient(staff).client
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/photos/photo/").status_code == 403  # staff without model permissions
