"""A photo with no bird has no sighting to delete it by: its owner deletes it from its page or the API."""

from __future__ import annotations

from pathlib import Path

import pytest

from birdsite.photos.models import ClassificationJob, Photo
from tests.birdsite.api.conftest import token_client
from tests.fakes import FakeClassifier, fake_result
from tests.helpers import finished_job

pytestmark = pytest.mark.django_db(transaction=True)  # the files go after commit


@pytest.fixture
def no_bird(owner):
    return finished_job(owner, FakeClassifier(result=fake_result(is_bird=False)))


def test_the_owner_deletes_a_photo_with_no_bird_from_its_result_page(owner_client, no_bird) -> None:
    page = owner_client.get(f"/jobs/{no_bird.pk}/").content.decode()
    assert f'action="/photos/{no_bird.photo_id}/delete"' in page
    files = [Path(no_bird.photo.image.path), Path(no_bird.photo.thumbnail.path)]
    assert all(f.exists() for f in files)
    response = owner_client.post(f"/photos/{no_bird.photo_id}/delete", follow=True)
    assert response.redirect_chain[-1][0] == "/" and b"The photo was deleted." in response.content
    assert not Photo.objects.filter(pk=no_bird.photo_id).exists()
    assert not ClassificationJob.objects.filter(pk=no_bird.pk).exists()
    assert not any(f.exists() for f in files)


def test_nobody_else_can_delete_it_and_a_get_deletes_nothing(client, stranger_client, no_bird) -> None:
    assert stranger_client.post(f"/photos/{no_bird.photo_id}/delete").status_code == 404
    client.logout()
    assert client.post(f"/photos/{no_bird.photo_id}/delete").status_code == 302  # to the login page
    assert Photo.objects.filter(pk=no_bird.photo_id).exists()


def test_the_api_deletes_the_photo_of_a_classification_for_its_owner_only(owner, stranger, no_bird) -> None:
    url = f"/api/v1/classifications/{no_bird.pk}/"
    assert token_client(stranger).delete(url).status_code == 404
    assert Photo.objects.filter(pk=no_bird.photo_id).exists()
    assert token_client(owner).delete(url).status_code == 204
    assert not Photo.objects.filter(pk=no_bird.photo_id).exists()
    assert token_client(owner).get(url).status_code == 404
