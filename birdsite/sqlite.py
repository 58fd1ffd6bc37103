"""SQLite as the embedded default uses it: web, workers and beat, each a process, on one file.

- WAL: readers never wait for the writer nor the writer for them (a page's SELECT, a worker's poll of
  the broker every 10 ms), and a commit appends to the log instead of rewriting a journal.
- A busy timeout (``SQLITE_TIMEOUT_SECONDS``): a writer that finds another one writing waits its turn
  instead of failing at once with "database is locked".
- ``BEGIN IMMEDIATE``: a transaction takes the write lock when it starts. A deferred one reads first and
  asks for the lock at its first write; if another connection wrote in between, SQLite cannot let it
  wait (it would deadlock, or write from a stale snapshot) and fails it at once, whatever the timeout.
  That is also what makes a read-then-write, such as a throttle's counter, exact (birdsite/db_cache.py).
"""

from __future__ import annotations

from typing import Any

# journal_mode is stored in the file; setting it again on every connection is a no-op that costs nothing.
PRAGMAS = ("PRAGMA journal_mode=WAL",)


def database_options(*, timeout: float) -> dict[str, Any]:
    """``DATABASES[...]["OPTIONS"]`` for Django's sqlite3 backend."""
    return {"timeout": timeout, "transaction_mode": "IMMEDIATE", "init_command": "; ".join(PRAGMAS)}


def prepare(dbapi_connection: Any, _record: Any = None) -> None:
    """The same for a connection Django does not make (the broker's SQLAlchemy engine, on connect)."""
    for pragma in PRAGMAS:
        dbapi_connection.execute(pragma)
