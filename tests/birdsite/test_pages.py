"""Every HTML page: a Content-Security-Policy without inline script, no inline script in the markup,
branded error pages, and the API docs linked from the footer."""

from __future__ import annotations

import re

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views import defaults

from birdsite.middleware import content_security_policy
from birdsite.photos.models import ClassificationJob
from tests.helpers import finished_job

pytestmark = pytest.mark.django_db
# <script> elements that run: anything but a JSON data island (json_script) or an external file.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+=\"", re.IGNORECASE)


@pytest.fixture
def job(owner) -> ClassificationJob:
    return finished_job(owner)


def pages(job: ClassificationJob) -> list[str]:
    return [
        reverse("photos:upload"),
        reverse("photos:job", args=[job.pk]),
        reverse("sightings:list"),
        reverse("sightings:detail", args=[job.sighting.pk]),
        reverse("sightings:species", args=["amegfi"]),
        reverse("sightings:lifelist"),
        reverse("batches:list"),
        reverse("password_change"),
        reverse("api:docs"),
    ]


def test_every_page_has_a_policy_that_allows_no_inline_script(owner_client: Client, job) -> None:
    for url in pages(job):
        response = owner_client.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        assert policy == content_security_policy("testserver"), url
        script_src = next(d for d in policy.split("; ") if d.startswith("script-src"))
        assert script_src == "script-src 'self'", url
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), (url, INLINE_SCRIPT.search(html))
        assert not INLINE_HANDLER.search(html), (url, INLINE_HANDLER.search(html))


def test_staff_pages_have_no_inline_script_either(client: Client, staff, owner) -> None:
    client.force_login(staff)
    finished_job(owner)
    for url in [reverse("review:queue"), reverse("review:dashboard")]:
        html = client.get(url).content.decode()
        assert not INLINE_SCRIPT.search(html) and not INLINE_HANDLER.search(html), url


def test_a_photo_keeps_its_own_stricter_policy(owner_client: Client, job) -> None:
    response = owner_client.get(reverse("photos:image", args=[job.photo_id]))
    assert "sandbox" in response["Content-Security-Policy"]


def test_json_answers_get_no_page_policy(owner_client: Client, job) -> None:
    response = owner_client.get(reverse("photos:job-status", args=[job.pk]))
    assert "Content-Security-Policy" not in response


def test_a_missing_page_is_the_sites_own_404(owner_client: Client) -> None:
    response = owner_client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404 and 'data-error-page="404"' in html
    assert "<h1>Page not found</h1>" in html and 'class="topbar"' in html


def test_a_forbidden_page_is_the_sites_own_403(client: Client, owner) -> None:
    client.force_login(owner)
    response = client.get(reverse("review:queue"))
    assert response.status_code == 403 and 'data-error-page="403"' in response.content.decode()


def test_a_server_error_is_the_sites_own_500_without_needing_a_request_context() -> None:
    response = defaults.server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500 and 'data-error-page="500"' in html and "<h1>" in html


def test_the_footer_and_the_account_menu_link_the_api_docs(owner_client: Client) -> None:
    html = owner_client.get(reverse("photos:upload")).content.decode()
    assert html.count(f'href="{reverse("api:docs")}"') == 2
    anonymous = Client().get(reverse("login")).content.decode()
    assert f'href="{reverse("api:docs")}" data-api-docs' in anonymous
