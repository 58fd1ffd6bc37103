from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction


@transaction.atomic
def user_signup(*, username: str, password: str, email: str = "") -> AbstractUser:
    """Create an ordinary user (the form has already validated the password)."""
    return get_user_model().objects.create_user(username=username, password=password, email=email)


@transaction.atomic
def demo_user_ensure(*, username: str, password: str) -> tuple[AbstractUser, bool]:
    """Create the demo user if missing, or reset its password; returns (user, created)."""
    user, created = get_user_model().objects.get_or_create(username=username)
    user.set_password(password)
    user.is_active = True
    user.save(update_fields=["password", "is_active"])
    return user, created
