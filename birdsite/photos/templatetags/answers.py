"""``{% bird_answer payload bird as answer %}``: one bird's open-set answer from a job's payload."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def bird_answer(payload: dict[str, Any] | None, bird: int) -> dict[str, Any] | None:
    """The answer of bird ``bird`` of ``birdsite.photos.payloads.job_payload``; None without one."""
    for found in (payload or {}).get("birds") or []:
        if found.get("bird") == bird:
            return found.get("answer")
    return None
