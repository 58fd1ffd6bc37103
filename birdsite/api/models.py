from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """One named API credential ("phone", "camera trap"); a user may hold several.

    Only the SHA-256 of the token is stored: the token itself is shown once, when it is made.
    ``prefix`` (the first characters) lets people tell their tokens apart in a list.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="apitoken_user_created")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…, user {self.user_id})"
