from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from birdsite.photos.models import ClassificationJob
from birdsite.sightings.models import Sighting
from tests.fakes import jpeg_bytes
from tests.helpers import finished_job, upload_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(owner) -> ClassificationJob:
    return finished_job(owner)


def owned_urls(job: ClassificationJob) -> list[str]:
    sighting = Sighting.objects.get(job=job)
    return [
        reverse("photos:job", args=[job.pk]),
        reverse("photos:job-status", args=[job.pk]),
        reverse("photos:image", args=[job.photo_id]),
        reverse("photos:thumbnail", args=[job.photo_id]),
        reverse("sightings:detail", args=[sighting.pk]),
    ]


def test_every_page_asks_an_anonymous_visitor_to_log_in(client: Client, job) -> None:
    for url in [reverse("photos:upload"), reverse("sightings:list"), *owned_urls(job)]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_the_owner_can_open_everything_that_is_theirs(owner_client: Client, job) -> None:
    for url in owned_urls(job):
        assert owner_client.get(url).status_code == 200, url


def test_a_stranger_gets_404_for_everything_of_the_owner(stranger_client: Client, job) -> None:
    sighting = Sighting.objects.get(job=job)
    for url in owned_urls(job):
        assert stranger_client.get(url).status_code == 404, url
    assert (
        stranger_client.post(reverse("sightings:detail", args=[sighting.pk]), {"notes": "x"}).status_code
        == 404
    )
    assert stranger_client.post(reverse("sightings:delete", args=[sighting.pk])).status_code == 404
    assert Sighting.objects.filter(pk=sighting.pk, notes="").exists()


def test_staff_get_no_special_view_of_other_peoples_photos(client: Client, staff, job) -> None:
    client.force_login(staff)
    assert client.get(reverse("photos:job", args=[job.pk])).status_code == 404


def test_the_upload_page_offers_file_drop_camera_and_phone_capture(owner_client: Client) -> None:
    html = owner_client.get(reverse("photos:upload")).content.decode()
    assert 'accept="image/*" capture="environment"' in html
    assert "data-dropzone" in html and "data-camera-open" in html and "<video" in html


def test_an_upload_from_the_page_answers_with_the_job_as_json(
    owner_client: Client, queued, owner, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            reverse("photos:upload"), {"image": upload_file()}, HTTP_ACCEPT="application/json"
        )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending" and body["verdict"] == "pending"
    assert ClassificationJob.objects.get(pk=body["id"]).owner == owner
    assert queued == [body["id"]]


def test_a_plain_form_upload_redirects_to_the_result_page(owner_client: Client, queued) -> None:
    response = owner_client.post(reverse("photos:upload"), {"image": upload_file()})
    job = ClassificationJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("photos:job", args=[job.pk])


def test_a_bad_upload_is_explained_and_nothing_is_queued(owner_client: Client, queued) -> None:
    bad = upload_file(b"%PDF-1.4 not a photo", "bird.jpg")
    response = owner_client.post(reverse("photos:upload"), {"image": bad}, HTTP_ACCEPT="application/json")
    assert response.status_code == 415  # as the API answers it (birdsite/errors.py HTTP_STATUS)
    assert response.json()["code"] == "not_an_image"
    page = owner_client.post(reverse("photos:upload"), {"image": upload_file(b"nope")})
    assert page.status_code == 400 and b"not an image we can read" in page.content
    assert queued == [] and not ClassificationJob.objects.exists()


def test_the_result_page_embeds_the_job_and_the_wikipedia_link_opens_a_new_tab(
    owner_client: Client, job
) -> None:
    html = owner_client.get(reverse("photos:job", args=[job.pk])).content.decode()
    assert 'id="job-payload"' in html and "American Goldfinch" in html
    detail = owner_client.get(reverse("sightings:detail", args=[job.sighting.pk])).content.decode()
    assert (
        'href="https://en.wikipedia.org/wiki/Spinus_tristis" target="_blank" rel="noopener noreferrer"'
        in detail
    )


def test_the_status_json_is_never_cached(owner_client: Client, job) -> None:
    response = owner_client.get(reverse("photos:job-status", args=[job.pk]))
    assert "no-cache" in response["Cache-Control"] and response.json()["verdict"] == "sure"


def test_a_sighting_is_renamed_from_the_page(owner_client: Client, job) -> None:
    sighting = job.sighting
    url = reverse("sightings:detail", args=[sighting.pk])
    response = owner_client.post(url, {"species_key": "norcar", "notes": "in the snow"})
    assert response.status_code == 302
    sighting.refresh_from_db()
    assert (sighting.common_name, sighting.notes, sighting.confirmed) == (
        "Northern Cardinal",
        "in the snow",
        True,
    )
    assert owner_client.post(url, {"species_key": "dodo"}).status_code == 400


def test_a_sighting_is_deleted_from_the_page(owner_client: Client, job) -> None:
    response = owner_client.post(reverse("sightings:delete", args=[job.sighting.pk]))
    assert response.status_code == 302 and not Sighting.objects.exists()


def test_the_history_lists_thumbnails_filters_and_paginates(owner_client: Client, owner, settings) -> None:
    settings.SIGHTINGS_PER_PAGE = 2
    for _ in range(3):
        finished_job(owner)
    page1 = owner_client.get(reverse("sightings:list")).content.decode()
    assert page1.count("data-sighting=") == 2 and "Page 1 of 2" in page1 and "/thumbnail" in page1
    page2 = owner_client.get(reverse("sightings:list"), {"species": "amegfi", "page": 2}).content.decode()
    assert page2.count("data-sighting=") == 1 and "?species=amegfi&page=1" in page2.replace("&amp;", "&")
    none = owner_client.get(reverse("sightings:list"), {"species": "blujay"}).content.decode()
    assert "data-sighting=" not in none and "No sightings yet" in none


def test_a_species_page_shows_the_users_photos_of_it(owner_client: Client, job, stranger) -> None:
    finished_job(stranger)
    html = owner_client.get(reverse("sightings:species", args=["amegfi"])).content.decode()
    assert "American Goldfinch" in html and "Spinus tristis" in html and html.count("data-sighting=") == 1
    assert owner_client.get(reverse("sightings:species", args=["blujay"])).status_code == 200
    assert owner_client.get(reverse("sightings:species", args=["nosuch"])).status_code == 404


def test_the_catalog_search_finds_by_common_or_scientific_name(owner_client: Client) -> None:
    url = reverse("sightings:species-search")
    assert [r["key"] for r in owner_client.get(url, {"q": "grosbeak"}).json()["results"]] == [
        "pingro",
        "eveg",
    ]
    assert (
        owner_client.get(url, {"q": "cardinalis"}).json()["results"][0]["common_name"] == "Northern Cardinal"
    )


def test_signup_logs_the_new_user_in(client: Client) -> None:
    response = client.post(
        reverse("signup"),
        {
            "username": "dora",
            "email": "",
            "password1": "a-long-passphrase-9",
            "password2": "a-long-passphrase-9",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("photos:upload")).status_code == 200


def test_login_logout_and_password_change(client: Client, owner) -> None:
    from tests.factories import PASSWORD

    assert client.post(reverse("login"), {"username": "alice", "password": PASSWORD}).status_code == 302
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "brand-new-pass-42",
            "new_password2": "brand-new-pass-42",
        },
    )
    assert response.status_code == 302
    client.post(reverse("logout"))
    assert client.get(reverse("photos:upload")).status_code == 302
    assert client.login(username="alice", password="brand-new-pass-42")


def test_csrf_is_enforced_on_every_form(owner, job) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    for url in [
        reverse("photos:upload"),
        reverse("sightings:detail", args=[job.sighting.pk]),
        reverse("sightings:delete", args=[job.sighting.pk]),
        reverse("logout"),
    ]:
        assert strict.post(url, {"image": upload_file(jpeg_bytes())}).status_code == 403, url


def test_the_sighting_form_preselects_the_current_species_once(owner_client: Client, job) -> None:
    html = owner_client.get(reverse("sightings:detail", args=[job.sighting.pk])).content.decode()
    assert html.count(" checked>") == 1 and 'value="amegfi" checked>' in html


def test_an_empty_file_from_the_page_is_told_in_the_apis_words(owner_client: Client, queued) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    empty = SimpleUploadedFile("empty.jpg", b"", content_type="image/jpeg")
    response = owner_client.post(reverse("photos:upload"), {"image": empty}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert response.json() == {"code": "empty", "message": "The file is empty."}
    assert not ClassificationJob.objects.exists()
