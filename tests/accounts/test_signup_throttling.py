"""Sign-up is throttled per client address: one address cannot make accounts by the dozen."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db


def sign_up(client: Client, username: str):
    password = "a-long-passphrase-9"
    data = {"username": username, "email": "", "password1": password, "password2": password}
    return client.post("/accounts/signup/", data)


@pytest.fixture
def three_an_hour(settings) -> None:
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "signup_ip": "3/hour"}


def test_it_refuses_a_sign_up_over_the_addresss_budget_with_a_429(three_an_hour) -> None:
    for n in range(3):
        assert sign_up(Client(REMOTE_ADDR="192.0.2.1"), f"bird{n}").status_code == 302
    refused = sign_up(Client(REMOTE_ADDR="192.0.2.1"), "bird3")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert b"Too many" in refused.content
    assert not get_user_model().objects.filter(username="bird3").exists()


def test_it_lets_another_address_sign_up_meanwhile(three_an_hour) -> None:
    for n in range(4):
        sign_up(Client(REMOTE_ADDR="192.0.2.1"), f"bird{n}")
    assert sign_up(Client(REMOTE_ADDR="192.0.2.2"), "wren").status_code == 302


def test_it_counts_only_accounts_made_not_forms_refused(three_an_hour) -> None:
    client = Client(REMOTE_ADDR="192.0.2.1")
    for _ in range(5):
        mismatch = {"username": "x", "password1": "a-long-passphrase-9", "password2": "other-passphrase-9"}
        assert client.post("/accounts/signup/", mismatch).status_code == 400
    assert sign_up(client, "bird").status_code == 302


def test_twenty_sign_ups_from_one_address_are_not_all_accepted_by_default() -> None:
    made = [sign_up(Client(REMOTE_ADDR="192.0.2.1"), f"bird{n}").status_code for n in range(20)]
    assert made.count(429) > 0
    assert get_user_model().objects.count() < 20
