"""One upload budget for the web form, the batch page and the API (birdsite/ratelimits.upload_hit)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from birdsite.api import services as api_services
from birdsite.batches.models import Batch
from tests.batches.helpers import photo

pytestmark = pytest.mark.django_db
API = "/api/v1/classifications/"


def image(n: int) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"{n}.jpg", photo(n), content_type="image/jpeg")


def api_client(user) -> Client:
    _, raw = api_services.token_create(user=user, name="phone")
    return Client(HTTP_AUTHORIZATION=f"Token {raw}")


def web_client(user, address: str = "127.0.0.1") -> Client:
    client = Client(REMOTE_ADDR=address)
    client.force_login(user)
    return client


def form_upload(client: Client, n: int):
    return client.post("/", {"image": image(n)}, HTTP_ACCEPT="application/json")


def batch_upload(client: Client, n: int):
    return client.post("/batches/", {"files": [image(n), image(n + 1)]}, HTTP_ACCEPT="application/json")


@pytest.fixture
def two_per_user(settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "upload_user": "2/hour"}


def test_after_the_apis_429_the_web_form_and_the_batch_page_refuse_uploads_too(owner, two_per_user) -> None:
    api = api_client(owner)
    assert [api.post(API, {"image": image(n)}).status_code for n in range(3)] == [202, 202, 429]
    web = web_client(owner)
    response = form_upload(web, 10)
    assert response.status_code == 429, response.content
    assert response.json()["code"] == "throttled" and int(response["Retry-After"]) > 0
    assert batch_upload(web, 20).status_code == 429
    assert not Batch.objects.exists()


def test_uploads_on_the_web_form_count_against_the_api(owner, two_per_user) -> None:
    web = web_client(owner)
    assert [form_upload(web, n).status_code for n in range(2)] == [201, 201]
    response = api_client(owner).post(API, {"image": image(5)})
    assert response.status_code == 429 and response.json()["code"] == "throttled"


def test_the_batch_page_counts_each_group_of_files_it_sends(owner, two_per_user) -> None:
    web = web_client(owner)
    assert batch_upload(web, 0).status_code == 201
    batch = Batch.objects.get()
    more = web.post(f"/batches/{batch.pk}/files", {"files": [image(30)]}, HTTP_ACCEPT="application/json")
    assert more.status_code == 200
    refused = web.post(f"/batches/{batch.pk}/files", {"files": [image(31)]}, HTTP_ACCEPT="application/json")
    assert refused.status_code == 429
    assert form_upload(web, 40).status_code == 429


def test_the_address_budget_is_shared_by_every_user_and_every_way_in(owner, stranger, settings) -> None:
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "upload_ip": "2/hour"}
    assert form_upload(web_client(owner), 1).status_code == 201
    assert batch_upload(web_client(stranger), 2).status_code == 201
    assert api_client(stranger).post(API, {"image": image(3)}).status_code == 429
    assert form_upload(web_client(owner, address="192.0.2.4"), 4).status_code == 201


def test_a_throttled_form_page_says_so_to_people(owner, two_per_user) -> None:
    web = web_client(owner)
    for n in range(2):
        form_upload(web, n)
    response = web.post("/", {"image": image(9)})
    assert response.status_code == 429 and b"Too many uploads" in response.content
    assert web.get("/").status_code == 200  # looking at the page is not an upload
