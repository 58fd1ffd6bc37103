"""API fixtures: token clients for the shared owner/stranger/staff users, a fresh throttle cache."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from birdsite.api import services as token_services


@pytest.fixture(autouse=True)
def fresh_cache(settings) -> None:
    """Throttle counters start at zero in every test (a private local-memory cache)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"api-test-{uuid.uuid4().hex}",
        }
    }


def token_client(user, name: str = "test") -> APIClient:
    _, raw = token_services.token_create(user=user, name=name)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    client.raw_token = raw  # type: ignore[attr-defined]
    return client


@pytest.fixture
def owner_api(owner) -> APIClient:
    return token_client(owner)


@pytest.fixture
def stranger_api(stranger) -> APIClient:
    return token_client(stranger)


@pytest.fixture
def staff_api(staff) -> APIClient:
    return token_client(staff)


@pytest.fixture
def anon_api() -> APIClient:
    return APIClient()
