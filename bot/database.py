"""The bot's own database: one SQLite file (``DOCBOT_FEEDBACK_DB``) for everything the bot remembers.

Answers and votes (``bot.feedback``), each server's settings (``bot.config_store``) and whatever a later
feature needs live in tables of this one file, next to the index but never part of it. Each store owns its
tables and brings them up to date with *migrations*: named steps applied once, in order, each in its
own transaction and recorded in ``schema_migrations``. A file written by an older version therefore
gains new columns and tables when the bot starts, without losing a row, and a step that fails leaves
the file as it was.

The SQL is kept portable (``BIGINT`` ids, ``DOUBLE PRECISION`` times, ``ON CONFLICT ... DO UPDATE``,
explicit transactions around DDL) so that the tables can move to PostgreSQL later; only the placeholder
style (``?``) and the connection are SQLite's.

Every method is synchronous and opens a short-lived connection, so stores are safe to use from worker
threads (the bot calls them through ``asyncio.to_thread``).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

#: Which migrations a file has had, by name (shared by every store in the file).
MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    name        TEXT PRIMARY KEY,
    applied_at  DOUBLE PRECISION NOT NULL
)
"""

#: A migration: a unique name and the statements it runs (one statement each, no trailing ``;`` needed).
Migration = tuple[str, Sequence[str]]


class SqliteStore:
    """Base class of the bot's stores: a path, a connection per call, and the store's migrations."""

    #: The store's migrations, oldest first. Never edit or reorder a released one: add a new step.
    MIGRATIONS: Sequence[Migration] = ()

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()  # SQLite serialises writers anyway; this avoids "database is locked"

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection whose ``with conn:`` block is one transaction (committed, or rolled back on error)."""
        conn = sqlite3.connect(self.path, timeout=10)
        try:
            with conn:
                yield conn
        finally:
            conn.close()

    def open(self) -> None:
        """Create the file if needed and apply the migrations it has not had (called once at start)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)  # transactions are explicit
            try:
                conn.execute(MIGRATIONS_TABLE)
                done = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
                for name, statements in self.MIGRATIONS:
                    if name not in done:
                        self._apply(conn, name, statements)
            finally:
                conn.close()

    def _apply(self, conn: sqlite3.Connection, name: str, statements: Sequence[str]) -> None:
        """One migration in one transaction: DDL included, so a failure leaves nothing half done."""
        conn.execute("BEGIN")
        try:
            for statement in statements:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)", (name, time.time()))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        log.info("database %s: applied migration %s", self.path.name, name)
