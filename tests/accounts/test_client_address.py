"""The client address the throttles count: X-Forwarded-For only through trusted proxies."""

from __future__ import annotations

from ipaddress import ip_network

import pytest
from django.test import RequestFactory

from birdsite.ratelimits import client_address


@pytest.fixture
def trusted(settings):
    settings.TRUSTED_PROXIES = [ip_network("10.0.0.0/8"), ip_network("fd00::/8")]


def address(remote: str, forwarded: str | None = None) -> str:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_address(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))


def test_without_trusted_proxies_the_socket_is_the_client(settings) -> None:
    settings.TRUSTED_PROXIES = []
    assert address("10.0.0.2", "198.51.100.7") == "10.0.0.2"


def test_the_hop_our_proxy_added_is_the_client(trusted) -> None:
    assert address("10.0.0.2", "198.51.100.7") == "198.51.100.7"


def test_addresses_the_client_made_up_on_the_left_are_ignored(trusted) -> None:
    assert address("10.0.0.2", "1.2.3.4, 198.51.100.7") == "198.51.100.7"


def test_a_chain_of_trusted_proxies_is_walked_to_the_first_untrusted_hop(trusted) -> None:
    assert address("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.1.1.1, fd00::5") == "198.51.100.7"


def test_a_peer_that_is_not_a_trusted_proxy_is_not_believed(trusted) -> None:
    assert address("198.51.100.9", "10.0.0.3") == "198.51.100.9"


def test_garbage_in_the_header_stops_at_the_last_hop_we_vouch_for(trusted) -> None:
    assert address("10.0.0.2", "198.51.100.7, not-an-ip") == "10.0.0.2"
    assert address("10.0.0.2", "") == "10.0.0.2"


def test_a_bad_trusted_proxies_setting_stops_the_process(tmp_path) -> None:
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "TRUSTED_PROXIES": "10.0.0.0/8,not-a-network",
        "DJANGO_SETTINGS_MODULE": "birdsite.settings",
    }
    code = "import django; django.setup()"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and "TRUSTED_PROXIES" in result.stderr
