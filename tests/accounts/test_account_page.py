"""The account page: a time zone (from the browser at sign-up), the places named once, the API docs."""

from __future__ import annotations

import pytest

from birdsite.sightings import observers

pytestmark = pytest.mark.django_db


def test_sign_up_takes_the_browsers_time_zone(client) -> None:
    data = {"username": "dora", "password1": "a-long-pass-9", "password2": "a-long-pass-9"}
    assert client.post("/accounts/signup/", data | {"time_zone": "America/Chicago"}).status_code == 302
    from django.contrib.auth import get_user_model

    assert observers.observer_zone_name(get_user_model().objects.get(username="dora")) == "America/Chicago"


def test_the_account_page_saves_a_time_zone_and_refuses_a_made_up_one(owner, owner_client) -> None:
    page = owner_client.get("/accounts/account/")
    assert page.status_code == 200 and b"data-browser-tz" in page.content and b"Bearer" in page.content
    assert (
        owner_client.post(
            "/accounts/account/", {"action": "time_zone", "time_zone": "Asia/Tokyo"}
        ).status_code
        == 302
    )
    assert observers.observer_zone_name(owner) == "Asia/Tokyo"
    refused = owner_client.post("/accounts/account/", {"action": "time_zone", "time_zone": "Nowhere/Land"})
    assert refused.status_code == 400 and observers.observer_zone_name(owner) == "Asia/Tokyo"


def test_the_account_page_lists_my_places_and_forgets_one(owner, stranger, owner_client) -> None:
    mine = observers.place_remember(user=owner, name="Mill pond", latitude=52.0, longitude=13.0)
    observers.place_remember(user=stranger, name="Their garden", latitude=1.0, longitude=1.0)
    html = owner_client.get("/accounts/account/").content.decode()
    assert "Mill pond" in html and "Their garden" not in html
    owner_client.post("/accounts/account/", {"action": "forget_place", "place": str(mine.pk)})
    assert observers.places_for(owner) == []


def test_the_account_page_is_for_logged_in_users(client) -> None:
    assert client.get("/accounts/account/").status_code == 302
