"""The broker when nothing is configured: kombu's SQLAlchemy transport on a SQLite file, polled often.

A SQLite file cannot push, so a worker polls it; kombu sleeps ``polling_interval`` (1 s) after every empty
poll, which made one upload take a second. This transport polls every ``CELERY_BROKER_POLL_SECONDS``
(an empty poll is one indexed SELECT). kombu's own option cannot be used: its SQLAlchemy transport hands
every transport option to ``create_engine``, which refuses ``polling_interval``.

Web, workers and beat write to the file from separate processes, and every poll takes the write lock
(kombu's ``BEGIN IMMEDIATE``): the file is in WAL mode and a writer waits ``SQLITE_TIMEOUT_SECONDS`` for
the lock, as the database does (birdsite/sqlite.py), instead of pysqlite's 5 s, past which a message
was not sent ("database is locked").
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from kombu.transport.sqlalchemy import Channel as SQLAlchemyChannel
from kombu.transport.sqlalchemy import Transport as SQLAlchemyTransport
from sqlalchemy import event

from birdsite import sqlite


class Channel(SQLAlchemyChannel):
    def _engine_from_config(self) -> Any:
        options = self.connection.client.transport_options
        connect_args = {"timeout": settings.SQLITE_TIMEOUT_SECONDS, **options.get("connect_args", {})}
        self.connection.client.transport_options = {**options, "connect_args": connect_args}
        engine = super()._engine_from_config()
        event.listen(engine, "connect", sqlite.prepare)
        return engine


class Transport(SQLAlchemyTransport):
    Channel = Channel

    def __init__(self, client: Any, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        self.polling_interval = settings.CELERY_BROKER_POLL_SECONDS
