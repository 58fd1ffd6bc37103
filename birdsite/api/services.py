"""Writes for API tokens: make one (shown once), revoke one, note its use."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from birdsite.api.models import ApiToken

TOKEN_PREFIX = "bst_"
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@transaction.atomic
def token_create(*, user: AbstractBaseUser, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the token itself (never stored)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user_id=user.pk, name=name.strip()[:100] or "API token", digest=token_digest(raw), prefix=raw[:12]
    )
    return token, raw


@transaction.atomic
def token_revoke(*, token: ApiToken) -> None:
    token.delete()


def token_touch(*, token: ApiToken) -> None:
    """Record that the token was used, at most one write a minute per token."""
    now = timezone.now()
    recent = now - LAST_USED_RESOLUTION
    ApiToken.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=recent), pk=token.pk).update(
        last_used_at=now
    )
