"""The demo account: created once with a random password shown once; never reset afterwards."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from birdsite.accounts.services import demo_user_ensure
from birdsite.serve import demo_login_line

pytestmark = pytest.mark.django_db


def test_the_first_start_creates_the_demo_user_with_a_random_password_it_prints(capsys) -> None:
    call_command("ensure_demo_user")
    out = capsys.readouterr().out
    assert out.startswith("created demo user 'demo' with password ")
    password = out.rsplit(" ", 1)[1].strip()
    assert len(password) >= 12 and password != "birdwatcher"
    assert authenticate(username="demo", password=password) is not None
    assert authenticate(username="demo", password="birdwatcher") is None


def test_two_instances_do_not_share_a_demo_password() -> None:
    _, first = demo_user_ensure(username="demo-a")
    _, second = demo_user_ensure(username="demo-b")
    assert first and second and first != second


def test_a_changed_password_is_never_reset_by_a_later_start(capsys) -> None:
    user, _ = demo_user_ensure(username="demo")
    user.set_password("my-own-secret-1")
    user.save()
    call_command("ensure_demo_user")
    assert "exists; its password is unchanged" in capsys.readouterr().out
    assert demo_login_line("demo").startswith("  demo login: demo (password as first printed")
    assert authenticate(username="demo", password="my-own-secret-1") is not None


def test_a_start_with_no_demo_user_asked_for_creates_none() -> None:
    assert "no demo account" in demo_login_line("")
    assert not get_user_model().objects.exists()


def test_an_explicit_password_is_used_for_a_new_user_only(capsys) -> None:
    call_command("ensure_demo_user", "--username", "loader", "--password", "load-test-pass-1")
    call_command("ensure_demo_user", "--username", "loader", "--password", "another-pass-2")
    assert authenticate(username="loader", password="load-test-pass-1") is not None
