"""``Authorization: Bearer <token>`` or ``Token <token>``: hashed, named, revocable ``ApiToken`` rows."""

from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions

from birdsite.api import selectors, services


class TokenAuthentication(authentication.TokenAuthentication):
    keyword = "Token"
    # RFC 6750's scheme, which most HTTP clients send; the older "Token" keeps working.
    keywords = ("Bearer", "Token")

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].decode("latin-1").lower() not in {k.lower() for k in self.keywords}:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid token header: send `Authorization: Bearer <token>`.", code="invalid_token"
            )
        try:
            key = parts[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token header.", code="invalid_token") from exc
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        token = selectors.token_find(raw=key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.", code="invalid_token")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.", code="inactive_user")
        services.token_touch(token=token)
        return token.user, token
