from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from birdsite.photos import push
from birdsite.photos.consumers import JobConsumer
from tests.helpers import finished_job

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def connect(user):
    communicator = WebsocketCommunicator(JobConsumer.as_asgi(), "/ws/jobs/")
    communicator.scope["user"] = user
    return communicator


def test_an_anonymous_socket_is_refused() -> None:
    async def scenario():
        communicator = connect(AnonymousUser())
        connected, _ = await communicator.connect()
        return connected

    assert async_to_sync(scenario)() is False


def test_a_finished_job_reaches_only_its_owners_socket(owner, stranger) -> None:
    job = finished_job(owner)

    async def scenario():
        mine, theirs = connect(owner), connect(stranger)
        assert (await mine.connect())[0] and (await theirs.connect())[0]
        await mine.send_json_to({"type": "ping"})
        assert await mine.receive_json_from() == {"type": "pong"}
        await sync_to_async(push.job_changed)(job.pk)  # as a worker does, from sync code
        message = await mine.receive_json_from(timeout=2)
        nothing = await theirs.receive_nothing(timeout=0.2)
        await mine.disconnect()
        await theirs.disconnect()
        return message, nothing

    message, nothing = async_to_sync(scenario)()
    assert message["type"] == "job" and message["job"]["id"] == job.pk
    assert message["job"]["predictions"][0]["common_name"] == "American Goldfinch"
    assert nothing is True


def test_a_push_without_a_reachable_layer_is_not_an_error(owner, settings) -> None:
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    channel_layers.backends.clear()
    job = finished_job(owner)
    push.job_changed(job.pk)  # logged, not raised: the page's polling still finds the result
    assert get_channel_layer() is not None
