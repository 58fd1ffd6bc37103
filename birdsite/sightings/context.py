"""What every page shows of a user's sightings: a reviewer's suggestion that waits for their answer."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from birdsite.sightings import selectors


def waiting(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"suggestions_waiting": selectors.suggestions_waiting(user=user)}
