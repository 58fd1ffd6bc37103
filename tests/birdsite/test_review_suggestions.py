"""A reviewer's correction reaches the owner as a suggestion to accept or keep — never a silent rename —
and the history tells confirmed, unconfirmed and reviewed sightings apart (issue 14)."""

from __future__ import annotations

import pytest

from birdsite.review import services as review
from birdsite.sightings.models import Sighting
from tests.helpers import finished_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def sighting(owner) -> Sighting:
    return finished_job(owner).sighting


def test_a_reviewers_correction_is_a_suggestion_and_the_owners_name_stays(sighting, staff) -> None:
    before = (sighting.species_key, sighting.common_name)
    review.review_decide(job=sighting.job, reviewer=staff, verdict="corrected", label="norcar")
    sighting.refresh_from_db()
    assert (sighting.species_key, sighting.common_name) == before
    assert sighting.suggested_key == "norcar" and sighting.suggested_common_name == "Northern Cardinal"
    assert sighting.reviewed_at is not None


def test_the_owner_sees_the_suggestion_and_accepting_it_renames_and_confirms(owner_client, sighting, staff):
    review.review_decide(job=sighting.job, reviewer=staff, verdict="corrected", label="norcar")
    page = owner_client.get(f"/sightings/{sighting.pk}/").content.decode()
    assert "A reviewer suggests:" in page and "Northern Cardinal" in page and "data-keep-mine" in page
    response = owner_client.post(f"/sightings/{sighting.pk}/suggestion/", {"answer": "accept"})
    assert response.status_code == 302
    sighting.refresh_from_db()
    assert (sighting.species_key, sighting.confirmed, sighting.suggested_key) == ("norcar", True, "")
    assert "A reviewer suggests:" not in owner_client.get(f"/sightings/{sighting.pk}/").content.decode()


def test_keeping_my_name_dismisses_the_suggestion_and_the_reviewed_mark_stays(owner_client, sighting, staff):
    mine = sighting.species_key
    review.review_decide(job=sighting.job, reviewer=staff, verdict="corrected", label="norcar")
    owner_client.post(f"/sightings/{sighting.pk}/suggestion/", {"answer": "keep"})
    sighting.refresh_from_db()
    assert (sighting.species_key, sighting.suggested_key) == (mine, "")
    assert sighting.reviewed_at is not None


def test_another_user_cannot_answer_my_suggestion(stranger_client, sighting, staff) -> None:
    review.review_decide(job=sighting.job, reviewer=staff, verdict="corrected", label="norcar")
    assert (
        stranger_client.post(f"/sightings/{sighting.pk}/suggestion/", {"answer": "accept"}).status_code == 404
    )
    sighting.refresh_from_db()
    assert sighting.suggested_key == "norcar"


def test_agreement_and_skips_leave_no_suggestion(sighting, staff) -> None:
    review.review_decide(job=sighting.job, reviewer=staff, verdict="skipped")
    sighting.refresh_from_db()
    assert sighting.reviewed_at is None
    review.review_decide(job=sighting.job, reviewer=staff, verdict="accepted")
    sighting.refresh_from_db()
    assert sighting.reviewed_at is not None and sighting.suggested_key == ""


def test_the_history_filters_confirmed_unconfirmed_and_reviewed_with_badges(
    owner, owner_client, staff
) -> None:
    confirmed, unconfirmed, reviewed = (finished_job(owner).sighting for _ in range(3))
    Sighting.objects.filter(pk=confirmed.pk).update(confirmed=True)
    review.review_decide(job=reviewed.job, reviewer=staff, verdict="accepted")

    def shown(status: str) -> set[int]:
        page = owner_client.get("/sightings/", {"status": status}).context["page"]
        return {s.pk for s in page}

    assert shown("") == {confirmed.pk, unconfirmed.pk, reviewed.pk}
    assert shown("confirmed") == {confirmed.pk}
    assert shown("unconfirmed") == {unconfirmed.pk, reviewed.pk}
    assert shown("reviewed") == {reviewed.pk}
    html = owner_client.get("/sightings/").content.decode()
    assert html.count("data-badge-reviewed") == 1 and html.count('class="badge confirmed"') == 1
    assert html.count('class="badge unconfirmed"') == 2


def test_the_count_is_edited_on_the_sighting_page(owner_client, sighting) -> None:
    data = {"species_key": sighting.species_key, "notes": "", "count": "4", "action": "save"}
    assert owner_client.post(f"/sightings/{sighting.pk}/", data).status_code == 302
    sighting.refresh_from_db()
    assert sighting.count == 4
    refused = owner_client.post(f"/sightings/{sighting.pk}/", data | {"count": "0"})
    assert refused.status_code == 400
    sighting.refresh_from_db()
    assert sighting.count == 4


def test_a_waiting_suggestion_is_said_on_the_first_page_and_in_the_nav_until_answered(
    owner_client, sighting, staff
) -> None:
    home = owner_client.get("/").content.decode()
    assert "data-suggestions-waiting" not in home and "data-nav-suggestions" not in home
    review.review_decide(job=sighting.job, reviewer=staff, verdict="corrected", label="norcar")
    home = owner_client.get("/").content.decode()
    assert "A reviewer suggested another name for one of your sightings." in home
    assert 'href="/sightings/?status=suggested"' in home and "data-nav-suggestions>1<" in home
    listed = owner_client.get("/sightings/?status=suggested").content.decode()
    assert f"/sightings/{sighting.pk}/" in listed and "data-suggestions-waiting" not in listed
    owner_client.post(f"/sightings/{sighting.pk}/suggestion/", {"answer": "keep"})
    home = owner_client.get("/").content.decode()
    assert "data-suggestions-waiting" not in home and "data-nav-suggestions" not in home


def test_another_users_suggestion_is_not_said_to_me(stranger_client, sighting, staff) -> None:
    review.review_decide(job=sighting.job, reviewer=staff, verdict="corrected", label="norcar")
    assert "data-nav-suggestions" not in stranger_client.get("/").content.decode()
