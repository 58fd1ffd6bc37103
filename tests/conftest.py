"""Shared fixtures: three users (owner, stranger, staff), a MEDIA_ROOT per test, a fake model/catalog,
and the live worker/web subprocesses (see tests/live.py). Environment defaults: tests/settings.py.
"""

from __future__ import annotations

import uuid

import pytest

from tests.factories import UserFactory
from tests.fakes import FakeCatalog, FakeClassifier

LIVE_MARKERS = ("integration", "browser")


@pytest.fixture(scope="session")
def live_media_root(tmp_path_factory: pytest.TempPathFactory):
    """One MEDIA_ROOT shared with the worker and web subprocesses of the live tests."""
    return tmp_path_factory.mktemp("live-media")


@pytest.fixture(autouse=True)
def media_root(request: pytest.FixtureRequest, settings, tmp_path):
    # Models retrained by a test never land in the checkout's var/models.
    settings.MODEL_STORE_DIR = tmp_path / "model-store"
    if any(request.node.get_closest_marker(m) for m in LIVE_MARKERS):
        settings.MEDIA_ROOT = request.getfixturevalue("live_media_root")
    else:
        settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def cache_of_its_own(settings) -> None:
    """Throttle counters start at zero in every test: its own key prefix in the shared cache (never a
    ``cache.clear()``, which would flush the Redis database other runs share)."""
    settings.CACHES = {
        alias: {**config, "KEY_PREFIX": f"{config.get('KEY_PREFIX', '')}-{uuid.uuid4().hex[:12]}"}
        for alias, config in settings.CACHES.items()
    }


@pytest.fixture(autouse=True)
def fake_catalog(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> FakeCatalog | None:
    """Unit tests see a small catalog; tests marked ``model`` see the real one."""
    if request.node.get_closest_marker("model"):
        return None
    catalog = FakeCatalog()
    monkeypatch.setattr("birdsite.sightings.catalog.get_catalog", lambda: catalog)
    return catalog


@pytest.fixture
def fake_classifier():
    from workers import model

    fake = FakeClassifier()
    model.set_classifier(fake)
    yield fake
    model.set_classifier(None)


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list]]:
    """Tasks the code sends (name, args), recorded instead of published: no broker in unit tests."""
    messages: list[tuple[str, list]] = []

    def record(name: str, args, *, countdown=None) -> bool:
        messages.append((name, list(args)))
        return True

    monkeypatch.setattr("birdsite.classification.queue.send", record)
    return messages


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Job ids sent as single-upload tasks (after commit), instead of publishing them."""
    ids: list[int] = []

    def record(name: str, args, *, countdown=None) -> bool:
        if name == "workers.classify":
            ids.append(args[0])
        return True

    monkeypatch.setattr("birdsite.classification.queue.send", record)
    return ids


@pytest.fixture
def owner(db):
    return UserFactory(username="alice")


@pytest.fixture
def stranger(db):
    return UserFactory(username="bob")


@pytest.fixture
def staff(db):
    return UserFactory(username="charlie", is_staff=True)


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def stranger_client(client, stranger):
    client.force_login(stranger)
    return client


class LiveWorkers:
    """At most one worker subprocess at a time, restarted only when a test wants another kind."""

    def __init__(self, media_root) -> None:
        self.media_root = media_root
        self.current = None
        self.kind: str | None = None
        self.skipped: dict[str, str] = {}

    def ensure(self, kind: str):
        from tests.live import start_worker

        if kind in self.skipped:
            pytest.skip(self.skipped[kind])
        if self.kind == kind and self.current.process.poll() is None:
            return self.current
        self.stop()
        try:
            self.current, self.kind = start_worker(kind, self.media_root), kind
        except pytest.skip.Exception as exc:
            self.skipped[kind] = str(exc)
            raise
        return self.current

    def stop(self) -> None:
        if self.current is not None:
            self.current.stop()
        self.current = self.kind = None


@pytest.fixture(scope="session")
def live_workers(django_db_setup, live_media_root):
    workers = LiveWorkers(live_media_root)
    yield workers
    workers.stop()


@pytest.fixture
def real_worker(live_workers):
    """A Celery worker subprocess with the real model (skips, saying why, if it cannot load)."""
    return live_workers.ensure("real")


@pytest.fixture
def fake_worker(live_workers):
    """A real Celery worker subprocess (real Redis and PostgreSQL) with a fake model."""
    return live_workers.ensure("fake")


@pytest.fixture(scope="session")
def live_site(django_db_setup, live_media_root):
    """daphne serving the site (HTTP + WebSocket) on a free port; yields its base URL."""
    from tests.live import start_web

    web, url = start_web(live_media_root)
    yield url
    web.stop()
