"""The site installs on a phone's home screen: every page links a web app manifest that names its icons."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db


def test_every_page_links_the_manifest_and_the_manifest_names_icons_that_exist(client) -> None:
    page = client.get("/accounts/login/").content.decode()
    assert 'rel="manifest" href="/static/manifest.webmanifest"' in page and 'name="theme-color"' in page
    response = client.get("/static/manifest.webmanifest")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/manifest+json")
    manifest = json.loads(b"".join(response.streaming_content) if response.streaming else response.content)
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image["Content-Type"] == "image/png", icon
