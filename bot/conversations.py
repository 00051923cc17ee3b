"""Conversations in threads: which threads the bot keeps a conversation in, and the turns asked there.

A thread the bot opened on a question (reply mode ``thread``) and a forum post it answered are
*conversations*: every new message from a person there is a follow-up, read with the questions before it
(``embeddings.conversation``). Both facts must survive a restart, and a thread Discord archived (and the
bot's cache forgot) is still the bot's when someone writes in it again, so they live in the bot's database
(the one of ``bot.feedback``), in the tables of this module only.

The methods are synchronous and open a short-lived connection each, so they are safe to call from worker
threads (the bot calls them through ``asyncio.to_thread``). Which threads are conversations is also kept in
memory, because every message the bot sees asks it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Literal

from bot.database import Database, Store

from embeddings import Turn
from embeddings.conversation import Quote

Origin = Literal["thread", "forum"]

#: This module's tables in the bot's database (the migration ``conversations-1``).
SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS conversation_threads (
        thread_id   BIGINT PRIMARY KEY,
        guild_id    BIGINT,
        parent_id   BIGINT,
        origin      TEXT NOT NULL,             -- "thread": the bot opened it on a question; "forum": a forum post
        created_at  DOUBLE PRECISION NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS conversation_turns (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        thread_id   BIGINT NOT NULL REFERENCES conversation_threads(thread_id),
        asked_at    DOUBLE PRECISION NOT NULL,
        question    TEXT NOT NULL,
        sources     TEXT NOT NULL,             -- JSON list of the cited document ids, [1] first
        quotes      TEXT NOT NULL,             -- JSON list of [doc_id, start, end], in the order shown
        opens_topic INTEGER NOT NULL           -- 0 when the question was read as a follow-up
    )
    """,
    "CREATE INDEX IF NOT EXISTS conversation_turns_by_thread ON conversation_turns (thread_id, id)",
)

#: Turns read back for a follow-up: enough to find the question that opened the current topic (always
#: read with it) in any thread people keep going, and the latest answer that cited a source.
HISTORY_TURNS = 20


class ConversationStore(Store):
    """The threads the bot keeps conversations in, and their turns."""

    MIGRATIONS = (("conversations-1", SCHEMA),)

    def __init__(self, database: Database | Path | str) -> None:
        super().__init__(database)
        self._threads: set[int] = set()

    def open(self) -> None:
        """Bring the tables up to date and load which threads are conversations (once, at start)."""
        super().open()
        with self._lock, self._connect() as conn:
            self._threads = {row[0] for row in conn.execute("SELECT thread_id FROM conversation_threads")}

    def is_conversation(self, thread_id: int) -> bool:
        """Whether the bot keeps a conversation in this thread (in memory: no database access)."""
        return thread_id in self._threads

    def start(self, thread_id: int, *, guild_id: int | None, parent_id: int | None, origin: Origin) -> None:
        """Remember a thread as a conversation (again: nothing changes)."""
        with self._lock, self._connect() as conn:
            conn.execute(
                "INSERT INTO conversation_threads (thread_id, guild_id, parent_id, origin, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (thread_id) DO NOTHING",
                (thread_id, guild_id, parent_id, origin, time.time()),
            )
            self._threads.add(thread_id)

    def add_turn(self, thread_id: int, turn: Turn) -> None:
        """Record a question asked in the thread and what its answer cited."""
        with self._lock, self._connect() as conn:
            conn.execute(
                "INSERT INTO conversation_turns (thread_id, asked_at, question, sources, quotes, opens_topic)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (thread_id, time.time(), turn.question, json.dumps(list(turn.sources)),
                 json.dumps([[q.doc_id, q.start, q.end] for q in turn.quotes]), int(turn.opens_topic)),
            )

    def history(self, thread_id: int, limit: int = HISTORY_TURNS) -> list[Turn]:
        """The latest ``limit`` turns of a thread, oldest first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT question, sources, quotes, opens_topic FROM conversation_turns WHERE thread_id = ?"
                " ORDER BY id DESC LIMIT ?",
                (thread_id, limit),
            ).fetchall()
        return [
            Turn(question, tuple(json.loads(sources)), tuple(Quote(*q) for q in json.loads(quotes)), bool(opens))
            for question, sources, quotes, opens in reversed(rows)
        ]

    def forget(self, thread_id: int) -> None:
        """A deleted thread is no conversation any more."""
        with self._lock, self._connect() as conn:
            conn.execute("DELETE FROM conversation_turns WHERE thread_id = ?", (thread_id,))
            conn.execute("DELETE FROM conversation_threads WHERE thread_id = ?", (thread_id,))
            self._threads.discard(thread_id)
