"""WebSocket ``/ws/jobs/``: the signed-in user's job updates, pushed by workers.

A socket is a convenience (the page polls without one), so a channel layer that cannot take it
right now (Redis down, its connection pool full while many sockets open and drop at once) refuses or
closes that socket with one WARNING line, never an ERROR traceback from inside the application.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from redis.exceptions import RedisError

from birdsite.photos.push import user_group

log = logging.getLogger(__name__)
# What a channel layer raises when Redis cannot serve it: refused, reset, pool full, timed out.
LAYER_ERRORS = (RedisError, OSError, TimeoutError)


class JobConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()  # before accept: the handshake is refused
            return
        group = user_group(user.pk)
        try:
            await self.channel_layer.group_add(group, self.channel_name)
        except LAYER_ERRORS as exc:
            log.warning("websocket for user %s refused: channel layer unavailable (%s)", user.pk, exc)
            await self.close()
            return
        self.group = group
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if not self.group:
            return
        try:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        except LAYER_ERRORS as exc:
            # The group entry expires on its own (channels_redis group_expiry).
            log.warning("websocket %s closed (%s); group not left: %s", self.channel_name, code, exc)

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        """Frames that are not our JSON (garbage, nesting deep enough to exhaust the parser) are ignored."""
        try:
            return json.loads(text_data)
        except (ValueError, RecursionError):
            return None

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def job_update(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "job", "job": event["job"]})

    async def batch_update(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "batch", "batch": event["batch"]})
