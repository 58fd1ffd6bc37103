from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from birdsite.api.models import ApiToken
from tests.birdsite.api.conftest import token_client
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
TOKEN_URL = reverse("api:token-obtain")
TOKENS_URL = reverse("api:token-list")
ME_URL = reverse("api:classification-list")


def test_a_username_and_password_get_a_named_token_that_then_authenticates(anon_api, owner) -> None:
    response = anon_api.post(TOKEN_URL, {"username": "alice", "password": PASSWORD, "name": "phone"})
    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith("bst_") and body["name"] == "phone"
    stored = ApiToken.objects.get(pk=body["id"])
    assert stored.user == owner and body["token"] not in (stored.digest, stored.prefix)
    anon_api.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert anon_api.get(ME_URL).status_code == 200
    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_a_wrong_password_gets_a_stable_code_and_no_token(anon_api, owner) -> None:
    response = anon_api.post(TOKEN_URL, {"username": "alice", "password": "wrong"})
    assert response.status_code == 400
    assert response.json() == {"code": "invalid_credentials", "message": "Wrong username or password."}
    assert not ApiToken.objects.exists()


def test_an_inactive_user_gets_no_token_and_their_old_tokens_stop_working(owner) -> None:
    client = token_client(owner)
    owner.is_active = False
    owner.save()
    response = client.get(ME_URL)
    assert response.status_code == 401 and response.json()["code"] == "inactive_user"
    login = APIClient().post(TOKEN_URL, {"username": "alice", "password": PASSWORD})
    assert login.json()["code"] == "invalid_credentials"


def test_a_missing_field_is_a_validation_error_with_details(anon_api) -> None:
    body = anon_api.post(TOKEN_URL, {"username": "alice"}).json()
    assert body["code"] == "invalid"
    assert body["details"]["password"][0]["code"] == "required"


def test_no_or_a_bad_token_is_401_with_a_challenge(anon_api) -> None:
    response = anon_api.get(ME_URL)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "not_authenticated"
    anon_api.credentials(HTTP_AUTHORIZATION="Token bst_not-a-real-one")
    response = anon_api.get(ME_URL)
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"


def test_users_list_their_own_tokens_and_see_which_one_is_in_use(owner, stranger) -> None:
    client = token_client(owner, "phone")
    token_client(owner, "camera trap")
    token_client(stranger, "bob's")
    body = client.get(TOKENS_URL).json()
    assert body["count"] == 2
    names = {t["name"]: t for t in body["results"]}
    assert set(names) == {"phone", "camera trap"}
    assert names["phone"]["current"] is True and names["camera trap"]["current"] is False
    assert all("token" not in t and "digest" not in t for t in body["results"])


def test_a_revoked_token_stops_working_at_once(owner) -> None:
    client = token_client(owner, "phone")
    other = token_client(owner, "laptop")
    token_id = ApiToken.objects.get(name="phone").pk
    assert other.delete(reverse("api:token-detail", args=[token_id])).status_code == 204
    assert client.get(ME_URL).status_code == 401
    assert other.get(ME_URL).status_code == 200


def test_nobody_can_revoke_or_see_someone_elses_token(owner, stranger_api) -> None:
    token_client(owner, "phone")
    token = ApiToken.objects.get(user=owner)
    response = stranger_api.delete(reverse("api:token-detail", args=[token.pk]))
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_the_sites_own_javascript_uses_the_session_and_must_send_csrf(owner) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.get(TOKENS_URL).status_code == 200
    response = client.post(reverse("api:classification-list"), {}, format="multipart")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert "CSRF" in response.json()["message"]


def test_password_guessing_from_one_address_is_throttled(anon_api, owner, settings) -> None:
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "token_ip": "3/hour"}
    for _ in range(3):
        assert anon_api.post(TOKEN_URL, {"username": "alice", "password": "x"}).status_code == 400
    response = anon_api.post(TOKEN_URL, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert response.json()["code"] == "throttled"
