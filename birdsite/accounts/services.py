from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction

from birdsite.accounts import throttling


@transaction.atomic
def user_signup(*, username: str, password: str, address: str, email: str = "") -> AbstractUser:
    """Create an ordinary user (the form has already validated the password), within the budget of new
    accounts of the client ``address`` (``ratelimits.Throttled`` over it)."""
    throttling.signup_take(address=address)
    return get_user_model().objects.create_user(username=username, password=password, email=email)


@transaction.atomic
def demo_user_ensure(*, username: str, password: str | None = None) -> tuple[AbstractUser, str | None]:
    """Create the demo user once; returns (user, its password when it was created now, else None).

    An existing user is left alone: a password someone changed is never reset, and no instance ships a
    known login. Without ``password`` a random one is made (the caller shows it once)."""
    users = get_user_model().objects
    existing = users.filter(username=username).first()
    if existing is not None:
        return existing, None
    password = password or secrets.token_urlsafe(12)
    return users.create_user(username=username, password=password), password
