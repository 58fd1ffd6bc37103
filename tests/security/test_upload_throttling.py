"""One upload budget for the web form, the batch page and the API (birdsite/ratelimits.upload_hit)."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from birdsite import ratelimits
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


def zip_of(count: int) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for n in range(count):
            archive.writestr(f"birds/{n}.jpg", photo(n))
    return SimpleUploadedFile("birds.zip", buffer.getvalue(), content_type="application/zip")


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


def test_a_batch_is_one_request_however_many_groups_of_files_its_page_sends(owner, two_per_user) -> None:
    web = web_client(owner)
    assert batch_upload(web, 0).status_code == 201
    batch = Batch.objects.get()
    for n in range(3):  # more groups than the request budget: the batch was counted once, when it was made
        more = web.post(
            f"/batches/{batch.pk}/files", {"files": [image(30 + n)]}, HTTP_ACCEPT="application/json"
        )
        assert more.status_code == 200, more.content
    assert batch.items.count() == 5
    assert form_upload(web, 40).status_code == 201  # the second request of the two
    assert form_upload(web, 41).status_code == 429


def test_a_post_of_no_files_to_a_batch_counts_as_a_request(owner, two_per_user) -> None:
    web = web_client(owner)
    assert batch_upload(web, 0).status_code == 201
    batch = Batch.objects.get()
    for _ in range(2):
        web.post(f"/batches/{batch.pk}/files", {}, HTTP_ACCEPT="application/json")
    assert form_upload(web, 40).status_code == 429


@pytest.fixture
def five_photos(settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "upload_photos_user": "5/hour"}


def test_every_photo_of_a_batch_counts_against_the_photo_budget(owner, five_photos) -> None:
    web = web_client(owner)
    assert batch_upload(web, 0).status_code == 201  # 2 photos
    batch = Batch.objects.get()
    group = {"files": [image(10), image(11)]}
    assert web.post(f"/batches/{batch.pk}/files", group, HTTP_ACCEPT="application/json").status_code == 200
    over = {"files": [image(12), image(13)]}  # 4 + 2 > 5: refused whole, and it costs nothing
    refused = web.post(f"/batches/{batch.pk}/files", over, HTTP_ACCEPT="application/json")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert batch.items.count() == 4
    assert form_upload(web, 20).status_code == 201  # the fifth photo still fits
    assert api_client(owner).post(API, {"image": image(21)}).status_code == 429


def test_each_member_of_a_zip_counts_as_a_photo(owner, five_photos) -> None:
    zipped = zip_of(6)
    response = api_client(owner).post("/api/v1/batches/", {"archive": zipped})
    assert response.status_code == 429, response.content
    assert not Batch.objects.exists()


def test_a_batch_of_the_largest_size_fits_the_default_budgets(owner, settings) -> None:
    rates = {name: ratelimits.Rate.parse(rate) for name, rate in settings.API_THROTTLE_RATES.items()}
    assert rates["upload_photos_user"].count >= settings.BATCH_MAX_FILES
    assert rates["upload_photos_ip"].count >= settings.BATCH_MAX_FILES
    for _ in range(settings.BATCH_MAX_FILES // 32):  # the batch page's groups of 32, as counted
        ratelimits.upload_hit(user_id=owner.pk, address="192.0.2.9", photos=32, new_request=False)
    ratelimits.upload_hit(user_id=owner.pk, address="192.0.2.9", photos=settings.BATCH_MAX_FILES % 32)
    with pytest.raises(ratelimits.Throttled):  # and a second one does not, within the hour
        ratelimits.upload_hit(user_id=owner.pk, address="192.0.2.9", photos=1500, new_request=False)


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


def test_a_user_refused_for_their_own_photo_budget_uses_none_of_the_address_budget(
    owner, stranger, settings
) -> None:
    settings.API_THROTTLE_RATES = {
        **settings.API_THROTTLE_RATES,
        "upload_photos_user": "5/hour",
        "upload_photos_ip": "12/hour",
    }
    for _ in range(3):  # 10 photos each: over the owner's 5, refused whole
        with pytest.raises(ratelimits.Throttled):
            ratelimits.upload_hit(user_id=owner.pk, address="192.0.2.7", photos=10, new_request=False)
    # Behind the same address, another user still has all 12 of its photos.
    ratelimits.upload_hit(user_id=stranger.pk, address="192.0.2.7", photos=5, new_request=False)
    ratelimits.upload_hit(user_id=stranger.pk + 1000, address="192.0.2.7", photos=5, new_request=False)


def test_a_zip_over_the_member_limit_is_refused_as_too_large_and_costs_one_photo_not_six(
    owner, five_photos, settings
):
    settings.BATCH_ZIP_MAX_MEMBERS = 5
    zipped = zip_of(6)
    response = api_client(owner).post("/api/v1/batches/", {"archive": zipped})
    assert response.status_code == 413, response.content
    assert response.json()["code"] == "archive_too_large" and "6 members" in response.json()["message"]
    # It cost one photo, as any refused upload does, not six: four of the five still fit.
    assert [form_upload(web_client(owner), n).status_code for n in range(5)] == [201] * 4 + [429]


def test_the_batch_page_answers_an_archive_over_the_member_limit_with_413(owner, settings) -> None:
    settings.BATCH_ZIP_MAX_MEMBERS = 2
    zipped = zip_of(3)
    response = web_client(owner).post("/batches/", {"archive": zipped}, HTTP_ACCEPT="application/json")
    assert response.status_code == 413 and response.json()["code"] == "archive_too_large"
    assert response.json()["details"]["problems"][0]["code"] == "too_many_members"


HOUR_START = 1_800_000_000.0  # a window boundary


def test_an_address_over_its_upload_limit_waits_at_most_the_window_and_then_one_more_upload_fits(
    settings,
) -> None:
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "upload_ip": "5/hour"}
    start = HOUR_START + 600

    def upload(at: float, user: int = 1) -> None:
        ratelimits.upload_hit(user_id=user, address="192.0.2.8", now=at)

    waits = []
    for n in range(50):  # eight clients behind one address keep trying: five fit, the rest are refused
        try:
            upload(start + n, user=n % 8 + 1)
        except ratelimits.Throttled as exc:
            waits.append(exc.retry_after)
    assert len(waits) == 45
    last, wait = start + 49, waits[-1]
    assert 0 < wait <= 3600  # never longer than the window the budget is counted over
    with pytest.raises(ratelimits.Throttled):
        upload(last + wait - 5)  # the wait it gave was not too long...
    upload(last + wait)  # ...nor too short


def test_a_throttled_page_says_in_words_how_long_to_wait_as_the_header_says_in_seconds(
    owner, two_per_user, monkeypatch
) -> None:
    web = web_client(owner)
    for at in (3000, 3060):  # two uploads late in an hour window, the user's whole budget
        monkeypatch.setattr(ratelimits, "clock", lambda at=at: HOUR_START + at)
        assert form_upload(web, at).status_code == 201
    monkeypatch.setattr(ratelimits, "clock", lambda: HOUR_START + 3120)
    page = web.post("/", {"image": image(9)})  # a person's browser: no JSON
    assert page.status_code == 429 and page["Retry-After"] == "2280"
    assert "Try again in 38 minutes." in page.content.decode()
    script = form_upload(web, 10)  # the upload page's script shows the JSON's error text
    assert script.json()["retry_after"] == 2280 and "Try again in 38 minutes." in script.json()["message"]
