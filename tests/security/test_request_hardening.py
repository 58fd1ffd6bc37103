"""Hostile requests answer 400 (never 500), in the API's JSON error shape on API paths."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from birdsite.api import services as api_services
from birdsite.hardening import MAX_JSON_DEPTH, json_too_deep
from tests.security.urls import all_routes

pytestmark = pytest.mark.django_db
NESTED = "[" * 100_000


def api_client(user) -> Client:
    _, raw = api_services.token_create(user=user, name="phone")
    return Client(HTTP_AUTHORIZATION=f"Token {raw}", raise_request_exception=False)


def assert_api_error(response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["code"], str) and isinstance(body["message"], str) and body["message"]
    if code is not None:
        assert body["code"] == code


@pytest.mark.parametrize("path", ["/species/%00/", "/sightings/?species=%00", "/lifelist/%00/"])
def test_a_nul_in_the_address_is_a_400_on_a_page(path, owner_client) -> None:
    owner_client.raise_request_exception = False
    assert owner_client.get(path).status_code == 400


@pytest.mark.parametrize("path", ["/api/v1/species/%00/", "/api/v1/sightings/?species=a%00b"])
def test_a_nul_in_the_address_is_a_json_400_in_the_api(path, owner) -> None:
    assert_api_error(api_client(owner).get(path), 400, "invalid_request")


def test_deeply_nested_json_at_the_token_endpoint_is_a_400() -> None:
    client = Client(raise_request_exception=False)
    response = client.post("/api/v1/auth/token/", NESTED, content_type="application/json")
    assert_api_error(response, 400, "invalid_json")


def test_deeply_nested_json_is_a_400_on_every_api_endpoint(worlds, owner) -> None:
    client = api_client(owner)
    problems = []
    for route in all_routes():
        if not route.path.startswith("/api/"):
            continue
        for method in ("post", "put", "patch"):
            response = getattr(client, method)(route.path, NESTED, content_type="application/json")
            if response.status_code == 500 or response.status_code == 400 and not response.json().get("code"):
                problems.append(f"{method.upper()} {route}: {response.status_code}")
    assert problems == []


def test_json_nested_within_the_limit_still_reaches_the_view(owner) -> None:
    body = json.dumps({"username": "alice", "password": "x", "name": "[[[{{{" * 10})
    response = Client().post("/api/v1/auth/token/", body, content_type="application/json")
    assert_api_error(response, 400, "invalid_credentials")


def test_the_depth_scan_counts_brackets_outside_strings_only() -> None:
    assert not json_too_deep(json.dumps({"a": "[" * 1000, "b": ['\\"[' * 100]}).encode())
    assert not json_too_deep(("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH).encode())
    assert json_too_deep(("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)).encode())
    assert json_too_deep(("[{" * 40 + "}]" * 40).encode())
    assert not json_too_deep(json.dumps([[1, 2]] * 10_000).encode())  # wide, not deep


def test_a_json_body_over_the_size_limit_is_a_json_413(owner, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"username": "alice", "password": "x" * 2000})
    response = Client(raise_request_exception=False).post(
        "/api/v1/auth/token/", body, content_type="application/json"
    )
    assert_api_error(response, 413, "too_large")


def _image(n: int) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"{n}.jpg", b"\xff\xd8\xff" + bytes([n % 256]) * 10, content_type="image/jpeg")


def test_over_limit_multipart_requests_to_the_api_answer_its_json_error(owner, settings) -> None:
    client = api_client(owner)
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 5
    assert_api_error(client.post("/api/v1/batches/", {"images": [_image(n) for n in range(6)]}), 400)
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    fields = {f"f{n}": "1" for n in range(10)}
    assert_api_error(client.post("/api/v1/classifications/", fields), 400, "too_many_parts")
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    big = client.post("/api/v1/batches/", {"name": "x" * 5000, "images": [_image(1)]})
    assert_api_error(big, 413, "too_large")


def test_a_bad_request_outside_the_api_views_still_answers_the_api_shape(owner) -> None:
    # A SuspiciousOperation raised before any view (here an unknown Host) goes to handler400.
    response = Client(raise_request_exception=False).get("/api/v1/sightings/", HTTP_HOST="evil.example")
    assert_api_error(response, 400, "bad_request")
    page = Client(raise_request_exception=False).get("/sightings/", HTTP_HOST="evil.example")
    assert page.status_code == 400 and not page["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/classifications/", 200),
        ("/api/v1/sightings/", 200),
        ("/api/v1/auth/tokens/", 200),
        ("/api/v1/lifelist/", 200),
        ("/api/v1/exports/sightings.csv", 200),
        ("/api/v1/classifications/999999/", 404),
        ("/api/v1/no-such-thing/", 404),
        ("/api/v1/sightings/?species=%00", 400),
    ],
)
def test_it_tells_caches_not_to_store_an_api_answer(owner, path, status) -> None:
    response = api_client(owner).get(path)
    assert response.status_code == status
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives, response["Cache-Control"]


def test_it_tells_caches_not_to_store_an_anonymous_api_refusal() -> None:
    response = Client().get("/api/v1/classifications/")
    assert response.status_code in (401, 403)
    assert "no-store" in response["Cache-Control"]
