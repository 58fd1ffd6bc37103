"""Reads of API tokens, always scoped to one user (or found by the token itself)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from birdsite.api.models import ApiToken
from birdsite.api.services import token_digest


def tokens_for(*, user: AbstractBaseUser) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user_id=user.pk)


def token_find(*, raw: str) -> ApiToken | None:
    """The token row for a presented token, with its user; None if unknown."""
    return ApiToken.objects.select_related("user").filter(digest=token_digest(raw)).first()
