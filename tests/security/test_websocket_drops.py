"""Sockets that drop, or that the channel layer cannot take, leave a WARNING line at most: no ERROR."""

from __future__ import annotations

import logging

import pytest
from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, channel_layers, get_channel_layer
from channels.testing import WebsocketCommunicator
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import MaxConnectionsError

from birdsite.photos.consumers import JobConsumer
from birdsite.photos.push import user_group

pytestmark = pytest.mark.django_db


class FullLayer(InMemoryChannelLayer):
    """Redis's connection pool is full: what 300 sockets opening and dropping at once produced."""

    async def group_add(self, group: str, channel: str) -> None:
        raise MaxConnectionsError("Too many connections")


class GoneLayer(InMemoryChannelLayer):
    """Redis went away while the socket was open."""

    async def group_discard(self, group: str, channel: str) -> None:
        raise RedisConnectionError("Connection reset by peer")


@pytest.fixture
def layer(settings, request):
    backend = getattr(request, "param", None)
    if backend is not None:
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": f"{__name__}.{backend}"}}
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def socket_for(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(JobConsumer.as_asgi(), "/ws/jobs/")
    communicator.scope["user"] = user
    return communicator


def errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_socket_dropped_right_after_connecting_leaves_its_group_and_logs_no_error(
    owner, layer, caplog
) -> None:
    async def scenario() -> dict:
        communicator = socket_for(owner)
        await communicator.send_input({"type": "websocket.connect"})
        await communicator.send_input({"type": "websocket.disconnect", "code": 1006})
        await communicator.wait(timeout=5)  # raises if the consumer raised
        probe = socket_for(owner)
        assert (await probe.connect())[0]
        await get_channel_layer().group_send(user_group(owner.pk), {"type": "job.update", "job": {"id": 1}})
        received = await probe.receive_json_from(timeout=5)  # the dropped socket's entry did not block it
        await probe.disconnect()
        return received

    with caplog.at_level(logging.INFO):
        assert async_to_sync(scenario)() == {"type": "job", "job": {"id": 1}}
    assert errors(caplog) == []


@pytest.mark.parametrize("layer", ["FullLayer"], indirect=True)
def test_a_layer_that_cannot_take_the_socket_refuses_it_with_one_warning(owner, layer, caplog) -> None:
    async def scenario() -> bool:
        communicator = socket_for(owner)
        connected, _ = await communicator.connect()
        await communicator.wait(timeout=5)
        return connected

    with caplog.at_level(logging.INFO):
        assert async_to_sync(scenario)() is False
    assert errors(caplog) == []
    assert any("channel layer unavailable" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("layer", ["GoneLayer"], indirect=True)
def test_a_drop_while_redis_is_gone_logs_no_error(owner, layer, caplog) -> None:
    async def scenario() -> None:
        communicator = socket_for(owner)
        assert (await communicator.connect())[0]
        await communicator.send_input({"type": "websocket.disconnect", "code": 1006})
        await communicator.wait(timeout=5)

    with caplog.at_level(logging.INFO):
        async_to_sync(scenario)()
    assert errors(caplog) == []


@pytest.mark.parametrize("frame", ["not json", "[" * 100_000])
def test_a_frame_that_is_not_our_json_is_ignored(frame, owner, layer) -> None:
    async def scenario() -> dict:
        communicator = socket_for(owner)
        assert (await communicator.connect())[0]
        await communicator.send_to(text_data=frame)
        await communicator.send_json_to({"type": "ping"})
        answer = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return answer

    assert async_to_sync(scenario)() == {"type": "pong"}
