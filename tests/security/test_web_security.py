"""CSRF on every form, how uploaded files are served, login throttling, production settings, secrets."""

from __future__ import annotations

import os
import re
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.factories import PASSWORD
from tests.security.urls import all_routes

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
CSRF_EXEMPT = {"api:token-obtain"}  # takes a password, sets no session: nothing for CSRF to protect


def test_every_post_without_a_csrf_token_is_refused(worlds, owner) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    problems = []
    for route in all_routes():
        if route.qualified_name in CSRF_EXEMPT:
            continue
        response = client.post(route.path, {"anything": "1"})
        if response.status_code not in (403, 404, 405):
            problems.append(f"POST {route}: {response.status_code}")
    assert problems == []


def test_the_login_and_upload_forms_carry_a_csrf_token(owner) -> None:
    client = Client(enforce_csrf_checks=True)
    assert b"csrfmiddlewaretoken" in client.get("/accounts/login/").content
    client.force_login(owner)
    assert b"csrfmiddlewaretoken" in client.get("/").content


@pytest.mark.parametrize(
    "name", ["../../evil.php", "x.html", "\u202eexe.jpg", "a/../../etc/passwd", "ü🐦.jpg"]
)
def test_uploads_are_stored_under_their_hash_and_served_as_images_to_the_owner_only(
    name, owner_client, owner, stranger, media_root
) -> None:
    from tests.batches.helpers import photo

    response = owner_client.post(
        "/", {"image": _file(photo(7), name, "text/html")}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 201, response.content
    from birdsite.photos.models import Photo

    stored = Photo.objects.get(owner=owner)
    path = Path(stored.image.path).resolve()
    assert path.is_relative_to(Path(media_root).resolve())
    assert re.fullmatch(r"[0-9a-f]{64}(_\w+)?\.jpg", path.name)
    assert not path.stat().st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    for kind in ("image", "thumbnail"):
        served = owner_client.get(f"/photos/{stored.pk}/{kind}")
        assert served.status_code == 200
        assert served["Content-Type"] == "image/jpeg"
        assert served["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in served["Content-Security-Policy"]
        assert served["Cache-Control"].startswith("private")
    other = Client()
    other.force_login(stranger)
    assert other.get(f"/photos/{stored.pk}/image").status_code == 404
    assert Client().get(f"/photos/{stored.pk}/image").status_code == 302


def _file(data: bytes, name: str, content_type: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


def test_no_url_serves_the_media_directory(owner_client) -> None:
    assert owner_client.get("/media/").status_code == 404


def test_login_is_throttled_after_repeated_failures(owner, settings) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        assert client.post("/accounts/login/", {"username": "alice", "password": "wrong"}).status_code == 200
    blocked = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert blocked.status_code == 429 and b"Too many failed attempts" in blocked.content
    assert int(blocked["Retry-After"]) > 0
    other = Client(REMOTE_ADDR="10.9.9.9")  # another address, another account: not blocked
    assert other.post("/accounts/login/", {"username": "bob", "password": "wrong"}).status_code == 200


def test_failures_from_other_addresses_count_for_the_same_username(owner, settings) -> None:
    settings.LOGIN_FAILURE_LIMIT = 2
    for n in range(2):
        Client(REMOTE_ADDR=f"10.0.0.{n}").post("/accounts/login/", {"username": "alice", "password": "x"})
    response = Client(REMOTE_ADDR="10.0.0.9").post("/accounts/login/", {"username": "alice", "password": "x"})
    assert response.status_code == 429


PRODUCTION = {
    "DEBUG": "false",
    "ALLOWED_HOSTS": "birds.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://birds.example.org",
    "SECURE_COOKIES": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "SECURE_PROXY_SSL_HEADER": "true",
}


def check_deploy(**env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k != "SECRET_KEY"}
    base.update(DJANGO_SETTINGS_MODULE="birdsite.settings", **env)
    argv = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    return subprocess.run(argv, cwd=ROOT, env=base, capture_output=True, text=True, timeout=120)


def test_check_deploy_passes_with_production_settings_from_the_environment() -> None:
    result = check_deploy(SECRET_KEY=secrets.token_urlsafe(50), **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_fails_with_development_defaults() -> None:
    result = check_deploy(SECRET_KEY=secrets.token_urlsafe(50))
    output = result.stdout + result.stderr
    assert result.returncode != 0
    for warning in ("W004", "W008", "W012", "W016"):  # HSTS, SSL redirect, session and CSRF cookies
        assert warning in output


def test_no_secret_is_written_in_the_source() -> None:
    pattern = re.compile(
        r"""(SECRET_KEY|PASSWORD|API_KEY|TOKEN)\s*=\s*["'][^"']{8,}["']|postgres://\w+:[^@$]+@""", re.I
    )
    allowed = {"birdsite/serve.py"}  # the demo account of `make run`, documented in the README
    hits = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for folder in ("birdsite", "workers", "classifier")
        for path in (ROOT / folder).rglob("*.py")
        if str(path.relative_to(ROOT)) not in allowed
        for match in pattern.finditer(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert hits == []


def connect_src(response) -> list[str]:
    policy = response["Content-Security-Policy"]
    return next(d for d in policy.split("; ") if d.startswith("connect-src")).split()[1:]


@pytest.mark.parametrize("host", ["testserver", "127.0.0.1:8000", "localhost"])
def test_it_lets_a_page_open_a_websocket_to_its_own_host_only(host, settings) -> None:
    settings.ALLOWED_HOSTS = [host.split(":")[0]]
    sources = connect_src(Client(HTTP_HOST=host).get("/accounts/login/"))
    assert sources == ["'self'", f"ws://{host}", f"wss://{host}"]
    assert not {"ws:", "wss:", "*", "http:", "https:"} & set(sources)


def test_a_host_a_policy_cannot_name_leaves_the_websocket_to_self(settings) -> None:
    settings.ALLOWED_HOSTS = ["[::1]"]
    assert connect_src(Client(HTTP_HOST="[::1]:8000").get("/accounts/login/")) == ["'self'"]
