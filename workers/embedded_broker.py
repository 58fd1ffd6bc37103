"""The broker when nothing is configured: kombu's SQLAlchemy transport on a SQLite file, polled often.

A SQLite file cannot push, so a worker polls it; kombu sleeps ``polling_interval`` (1 s) after every empty
poll, which made one upload take a second. This transport polls every ``CELERY_BROKER_POLL_SECONDS``
(an empty poll is one indexed SELECT). kombu's own option cannot be used: its SQLAlchemy transport hands
every transport option to ``create_engine``, which refuses ``polling_interval``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from kombu.transport.sqlalchemy import Transport as SQLAlchemyTransport


class Transport(SQLAlchemyTransport):
    def __init__(self, client: Any, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        self.polling_interval = settings.CELERY_BROKER_POLL_SECONDS
