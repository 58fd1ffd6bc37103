"""The cache without Redis: Django's database cache, with an ``incr`` that counts exactly.

The throttles (birdsite/ratelimits.py) count in the cache from every process at once. Django's own
``incr`` is a ``get`` and then a ``set``: two processes that read the same count both write count + 1,
and under load one address got through at twice its limit. This ``incr`` reads and writes in one
transaction that holds the row: ``SELECT ... FOR UPDATE`` where the database has it (PostgreSQL), and
on SQLite the write lock that ``BEGIN IMMEDIATE`` takes before the read (birdsite/sqlite.py). It keeps
the entry's expiry, as Redis does (Django's resets it to the default timeout).
"""

from __future__ import annotations

import base64
import pickle
from typing import Any

from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, models, router, transaction
from django.utils.timezone import now as tz_now

# Django culls a third of the entries past 300, live counters included; a counter culled is a budget
# that starts again from zero.
MAX_ENTRIES = 100_000


class DatabaseCache(DjangoDatabaseCache):
    def __init__(self, table: str, params: dict[str, Any]) -> None:
        options = {"MAX_ENTRIES": MAX_ENTRIES, **params.get("OPTIONS", {})}
        super().__init__(table, {**params, "OPTIONS": options})

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        table, cache_key = quote(self._table), quote("cache_key")
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with transaction.atomic(using=db), connection.cursor() as cursor:
            columns = f"{quote('value')}, {quote('expires')}"
            cursor.execute(f"SELECT {columns} FROM {table} WHERE {cache_key} = %s{lock}", [key])
            row = cursor.fetchone()
            if row is None or self._expired(connection, row[1]):
                raise ValueError(f"Key '{key}' not found.")
            value = pickle.loads(base64.b64decode(connection.ops.process_clob(row[0]).encode())) + delta
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(f"UPDATE {table} SET {quote('value')} = %s WHERE {cache_key} = %s", [encoded, key])
        return value

    @staticmethod
    def _expired(connection: Any, expires: Any) -> bool:
        expression = models.Expression(output_field=models.DateTimeField())
        converters = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
        for converter in converters:
            expires = converter(expires, expression, connection)
        return bool(expires < tz_now())
