"""drf-spectacular's schema, plus the error responses every operation can give (documented once)."""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from rest_framework import serializers

RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
    }
}
COMMON_ERRORS = {
    "400": "The request is not valid (see `details`).",
    "401": "No credentials, or a bad or revoked token.",
    "403": "Not allowed (for example a session request without its CSRF token).",
    "404": "No such object among yours (other people's objects are 404 too).",
    "429": "Throttled: try again after `Retry-After` seconds.",
}
BODY_ERRORS = {
    "413": "The upload is too large (bytes or pixels).",
    "415": "Not an image of a supported format, or a body of an unsupported content type.",
}


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, for programs: `not_found`, `too_large`, `throttled`…")
    message = serializers.CharField(help_text="For people.")
    details = serializers.JSONField(required=False, help_text="Field errors and other specifics.")


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = dict(COMMON_ERRORS)
        if self.method in ("POST", "PUT", "PATCH"):
            errors.update(BODY_ERRORS)
        for code, description in errors.items():
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code)
                response["description"] = description
                if code == "429":
                    response["headers"] = RETRY_AFTER
                responses[code] = response
        return dict(sorted(responses.items()))
