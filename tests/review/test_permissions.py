"""Every review and model page is staff only: 403 for a signed-in user, the login page for anyone else."""

from __future__ import annotations

import pytest
from django.urls import resolve, reverse

from birdsite.registry.models import ModelVersion
from birdsite.review.models import ReviewDecision
from tests.review.conftest import job_with


@pytest.fixture
def endpoints(owner):
    job = job_with(owner)
    version = ModelVersion.objects.create(version="cand-1", status=ModelVersion.Status.CANDIDATE)
    return [
        ("get", reverse("review:queue")),
        ("get", reverse("review:dashboard")),
        ("get", reverse("review:image", args=[job.pk])),
        ("get", reverse("review:history", args=[job.pk])),
        ("get", reverse("review:species-search") + "?q=finch"),
        ("post", reverse("review:decide", args=[job.pk])),
        ("get", reverse("registry:list")),
        ("get", reverse("registry:detail", args=[version.pk])),
        ("post", reverse("registry:retrain")),
        ("post", reverse("registry:promote", args=[version.pk])),
        ("post", reverse("registry:rollback")),
    ]


def test_the_list_covers_every_review_and_model_url(endpoints) -> None:
    from birdsite.registry import urls as registry_urls
    from birdsite.review import urls as review_urls

    names = {f"{m.app_name}:{p.name}" for m in (review_urls, registry_urls) for p in m.urlpatterns}
    covered = {resolve(url.split("?")[0]).view_name for _, url in endpoints}
    assert covered == names


def test_a_user_who_is_not_staff_gets_403_on_every_review_and_model_endpoint(
    client, owner, stranger, endpoints
) -> None:
    for user in (owner, stranger):  # the photo's owner is no reviewer either
        client.force_login(user)
        for method, url in endpoints:
            response = getattr(client, method)(url, {"verdict": "accepted", "force": "1", "reason": "x"})
            assert response.status_code in (403, 404), (user, method, url, response.status_code)
    assert not ReviewDecision.objects.exists()
    assert ModelVersion.objects.get().status == ModelVersion.Status.CANDIDATE
    assert ModelVersion.objects.count() == 1


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, endpoints) -> None:
    for method, url in endpoints:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_staff_see_the_pages(client, staff, endpoints) -> None:
    client.force_login(staff)
    for method, url in endpoints:
        if method == "get":
            assert client.get(url).status_code == 200, url
