"""``Authorization: Token <token>`` against hashed, named, revocable :class:`ApiToken` rows."""

from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions

from birdsite.api import selectors, services


class TokenAuthentication(authentication.TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        token = selectors.token_find(raw=key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.", code="invalid_token")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.", code="inactive_user")
        services.token_touch(token=token)
        return token.user, token
