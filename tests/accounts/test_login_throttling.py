"""Login throttling holds every way in (login page, admin, API token), per account and per client address;
an address is allowed more failures than an account, so one user's bad passwords lock out only that user."""

from __future__ import annotations

from ipaddress import ip_network

import pytest
from django.test import Client

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
PROXY = "10.0.0.2"  # the documented reverse proxy, as the socket sees it


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def log_in(client: Client, username: str, password: str, path: str = "/accounts/login/"):
    return client.post(path, {"username": username, "password": password, "next": "/admin/"})


def token(client: Client, username: str, password: str):
    body = {"username": username, "password": password, "name": "phone"}
    return client.post("/api/v1/auth/token/", body, content_type="application/json")


def test_the_admin_login_refuses_the_right_password_after_25_wrong_ones(superuser) -> None:
    client = Client()
    for _ in range(25):
        log_in(client, "root", "wrong", "/admin/login/")
    response = log_in(client, "root", PASSWORD, "/admin/login/")
    assert response.status_code == 429, response.status_code
    assert int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still sent to the login page


def test_the_token_endpoint_refuses_a_password_the_login_page_is_refusing(owner, settings) -> None:
    client = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        assert log_in(client, "alice", "wrong").status_code == 200
    assert log_in(client, "alice", PASSWORD).status_code == 429
    response = token(client, "alice", PASSWORD)
    assert response.status_code == 429, response.content
    assert response.json()["code"] == "throttled" and response.json()["message"]
    assert int(response["Retry-After"]) > 0


def test_wrong_passwords_at_the_token_endpoint_count_for_the_login_page(owner, settings) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        assert token(client, "alice", "wrong").json()["code"] == "invalid_credentials"
    assert log_in(client, "alice", PASSWORD).status_code == 429


def test_behind_the_trusted_proxy_one_guesser_does_not_lock_out_everybody(owner, stranger, settings) -> None:
    settings.TRUSTED_PROXIES = [ip_network("10.0.0.0/24")]
    guesser = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")
    # One more than the limit: fifty slow logins may straddle a window boundary, where the sliding estimate
    # of the earlier ones is a fraction under their count.
    for n in range(settings.LOGIN_FAILURE_ADDRESS_LIMIT + 1):
        log_in(guesser, f"nobody{n}", "guess")
    assert log_in(guesser, "somebody-else", "guess").status_code == 429  # that address is blocked
    someone = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert log_in(someone, "bob", PASSWORD).status_code == 302


def test_a_forwarded_for_header_from_an_untrusted_peer_changes_nothing(stranger, settings) -> None:
    settings.TRUSTED_PROXIES = [ip_network("10.0.0.0/24")]
    settings.LOGIN_FAILURE_ADDRESS_LIMIT = 20
    for n in range(settings.LOGIN_FAILURE_ADDRESS_LIMIT):
        log_in(Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"), f"nobody{n}", "x")
    spoofing = Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert log_in(spoofing, "bob", PASSWORD).status_code == 429


def test_failures_from_many_addresses_block_the_account(owner, settings) -> None:
    for n in range(settings.LOGIN_FAILURE_LIMIT):
        log_in(Client(REMOTE_ADDR=f"192.0.2.{n}"), "Alice", "wrong")
    assert log_in(Client(REMOTE_ADDR="192.0.2.250"), "alice", PASSWORD).status_code == 429
    assert token(Client(REMOTE_ADDR="192.0.2.251"), "alice", PASSWORD).status_code == 429


def test_a_good_login_starts_the_accounts_count_again(owner, settings) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(2):
        log_in(Client(REMOTE_ADDR=f"192.0.2.{_}"), "alice", "wrong")
    assert log_in(Client(REMOTE_ADDR="192.0.2.9"), "alice", PASSWORD).status_code == 302
    for _ in range(2):
        log_in(Client(REMOTE_ADDR=f"192.0.2.{_ + 20}"), "alice", "wrong")
    assert log_in(Client(REMOTE_ADDR="192.0.2.30"), "alice", PASSWORD).status_code == 302


def test_it_lets_another_user_on_the_same_address_log_in_after_one_user_failed_ten_times(
    owner, stranger, settings
) -> None:
    household = Client(REMOTE_ADDR="192.0.2.7")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        log_in(household, "alice", "wrong")
    assert log_in(household, "alice", PASSWORD).status_code == 429  # her account is still protected
    assert log_in(Client(REMOTE_ADDR="192.0.2.7"), "bob", PASSWORD).status_code == 302
    assert token(Client(REMOTE_ADDR="192.0.2.7"), "bob", PASSWORD).status_code == 201


def test_it_still_blocks_an_address_that_tries_many_users_past_its_higher_limit(stranger, settings) -> None:
    settings.LOGIN_FAILURE_ADDRESS_LIMIT = 25
    assert settings.LOGIN_FAILURE_ADDRESS_LIMIT > settings.LOGIN_FAILURE_LIMIT
    guesser = Client(REMOTE_ADDR="192.0.2.8")
    for n in range(settings.LOGIN_FAILURE_ADDRESS_LIMIT - 1):
        assert log_in(guesser, f"nobody{n}", "guess").status_code == 200
    assert log_in(guesser, "bob", PASSWORD).status_code == 302  # under the address's limit: a good login
    log_in(Client(REMOTE_ADDR="192.0.2.8"), "nobody-last", "guess")
    assert log_in(Client(REMOTE_ADDR="192.0.2.8"), "bob", PASSWORD).status_code == 429


def test_the_default_address_limit_is_higher_than_the_accounts(settings) -> None:
    assert settings.LOGIN_FAILURE_ADDRESS_LIMIT >= 3 * settings.LOGIN_FAILURE_LIMIT
