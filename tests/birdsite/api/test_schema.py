from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from birdsite.env import env_rate

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(anon_api) -> dict:
    response = anon_api.get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()]


def test_the_schema_is_openapi_3_and_lists_every_endpoint(schema) -> None:
    assert schema["openapi"].startswith("3.")
    assert all(path.startswith("/api/v1/") for path in schema["paths"])
    found = {(path, method) for path, method, _ in operations(schema)}
    assert {
        ("/api/v1/", "get"),
        ("/api/v1/auth/token/", "post"),
        ("/api/v1/auth/tokens/", "get"),
        ("/api/v1/auth/tokens/{id}/", "delete"),
        ("/api/v1/classifications/", "get"),
        ("/api/v1/classifications/", "post"),
        ("/api/v1/classifications/{id}/", "get"),
        ("/api/v1/classifications/{id}/", "delete"),
        ("/api/v1/classifications/{id}/region/", "post"),
        ("/api/v1/sightings/", "get"),
        ("/api/v1/sightings/{id}/", "get"),
        ("/api/v1/sightings/{id}/", "patch"),
        ("/api/v1/sightings/{id}/", "delete"),
        ("/api/v1/sightings/{id}/suggestion/", "post"),
        ("/api/v1/species/", "get"),
        ("/api/v1/species/{key}/", "get"),
        ("/api/v1/batches/", "get"),
        ("/api/v1/batches/", "post"),
        ("/api/v1/batches/{id}/", "get"),
        ("/api/v1/batches/{id}/cancel/", "post"),
        ("/api/v1/lifelist/", "get"),
        ("/api/v1/exports/sightings.csv", "get"),
        ("/api/v1/exports/ebird.csv", "get"),
        ("/api/v1/staff/review/", "get"),
        ("/api/v1/staff/review/{job_id}/", "post"),
        ("/api/v1/staff/review/dashboard/", "get"),
        ("/api/v1/staff/models/", "get"),
        ("/api/v1/staff/models/{id}/", "get"),
        ("/api/v1/staff/models/retrain/", "post"),
        ("/api/v1/staff/models/{id}/promote/", "post"),
        ("/api/v1/staff/models/rollback/", "post"),
        ("/api/v1/staff/models/new-species/", "get"),
    } == found
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_every_operation_documents_its_errors_with_the_error_shape(schema) -> None:
    for path, method, op in operations(schema):
        for code in ("400", "401", "404", "429"):
            content = op["responses"][code]["content"]["application/json"]["schema"]
            assert content == {"$ref": "#/components/schemas/Error"}, (path, method, code)
        assert "Retry-After" in op["responses"]["429"]["headers"]
    upload = schema["paths"]["/api/v1/classifications/"]["post"]
    assert {"202", "413", "415"} <= set(upload["responses"])
    assert "multipart/form-data" in upload["requestBody"]["content"]


def test_swagger_ui_is_served_from_this_site_not_a_cdn(anon_api) -> None:
    html = anon_api.get(reverse("api:docs")).content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "//unpkg" not in html
    assert anon_api.get(
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
    ).status_code in (
        200,
        304,
    )


@pytest.mark.parametrize(
    ("value", "expected"), [("60/minute", "60/minute"), ("5/s", "5/second"), (" 100/h ", "100/hour")]
)
def test_throttle_rates_are_read_from_the_environment(value, expected) -> None:
    assert env_rate("RATE", "1/day", {"RATE": value}) == expected
    assert env_rate("RATE", "7/day", {}) == "7/day"


@pytest.mark.parametrize("value", ["60", "0/minute", "x/hour", "10/fortnight", "10/"])
def test_a_bad_throttle_rate_stops_the_start(value) -> None:
    with pytest.raises(ImproperlyConfigured):
        env_rate("RATE", "1/day", {"RATE": value})


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/sightings/null,null/"),
        ("delete", "/api/v1/classifications/x/"),
        ("post", "/api/v1/nope"),
    ],
)
def test_an_unknown_api_path_is_a_json_404(owner_api, method, path) -> None:
    response = getattr(owner_api, method)(path)
    assert response.status_code == 404 and response.json() == {"code": "not_found", "message": "Not found."}
