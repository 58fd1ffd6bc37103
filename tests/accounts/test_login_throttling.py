"""Login throttling holds every way in (login page, admin, API token), per account and per client address."""

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
    for n in range(settings.LOGIN_FAILURE_LIMIT):
        log_in(guesser, f"nobody{n}", "guess")
    assert log_in(guesser, "somebody-else", "guess").status_code == 429  # that address is blocked
    someone = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert log_in(someone, "bob", PASSWORD).status_code == 302


def test_a_forwarded_for_header_from_an_untrusted_peer_changes_nothing(stranger, settings) -> None:
    settings.TRUSTED_PROXIES = [ip_network("10.0.0.0/24")]
    for n in range(settings.LOGIN_FAILURE_LIMIT):
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
