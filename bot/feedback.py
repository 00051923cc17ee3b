"""Questions answered and 👍/👎 votes, in a small SQLite file.

Every answer the bot sends is recorded with its question and the chunk refs it cited, and gets an id
that the feedback buttons carry in their ``custom_id``. A vote therefore still lands on the right answer
after a restart, and admins can see *what* was voted down (``/stats``), not only how often.

The methods are synchronous and open a short-lived connection each, so they are safe to call from
worker threads (the bot calls them through ``asyncio.to_thread``).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at  REAL    NOT NULL,
    question    TEXT    NOT NULL,
    answered    INTEGER NOT NULL,
    refs        TEXT    NOT NULL,          -- JSON list of cited chunk refs, "doc_id#chunk"
    user_id     INTEGER,
    guild_id    INTEGER,
    channel_id  INTEGER,
    via         TEXT    NOT NULL           -- "mention" or "slash"
);
CREATE TABLE IF NOT EXISTS votes (
    answer_id   INTEGER NOT NULL REFERENCES answers(id),
    user_id     INTEGER NOT NULL,
    vote        INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    question    TEXT    NOT NULL,          -- copied from the answer so a vote row reads on its own
    refs        TEXT    NOT NULL,
    voted_at    REAL    NOT NULL,
    PRIMARY KEY (answer_id, user_id)
);
"""


@dataclass(frozen=True)
class VoteRecord:
    """A vote as admins see it: which question, which chunks were cited, which way it went."""

    answer_id: int
    question: str
    refs: list[str]
    vote: int


@dataclass(frozen=True)
class FeedbackStats:
    questions: int = 0
    answered: int = 0
    up: int = 0
    down: int = 0
    recent_down: list[VoteRecord] = field(default_factory=list)


class FeedbackStore:
    """The bot's own small database; the engine's index never depends on it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()  # SQLite serialises writers anyway; this avoids "database is locked"

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=10)
        try:
            with conn:
                yield conn
        finally:
            conn.close()

    def open(self) -> None:
        """Create the file and tables if needed (called once from ``setup_hook``)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self._connect() as conn:
            conn.executescript(SCHEMA)

    def record_answer(
        self,
        *,
        question: str,
        answered: bool,
        refs: list[str],
        user_id: int | None,
        guild_id: int | None,
        channel_id: int | None,
        via: str,
    ) -> int:
        """Store an answer before it is sent and return the id its feedback buttons will carry."""
        with self._lock, self._connect() as conn:
            cur = conn.execute(
                "INSERT INTO answers (created_at, question, answered, refs, user_id, guild_id, channel_id, via)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (time.time(), question, int(answered), json.dumps(refs), user_id, guild_id, channel_id, via),
            )
            return int(cur.lastrowid or 0)

    def record_vote(self, answer_id: int, user_id: int, vote: int) -> bool:
        """Store (or change) one user's vote on one answer. False if the answer is unknown."""
        if vote not in (-1, 1):
            raise ValueError("vote must be -1 or 1")
        with self._lock, self._connect() as conn:
            row = conn.execute("SELECT question, refs FROM answers WHERE id = ?", (answer_id,)).fetchone()
            if row is None:
                return False
            conn.execute(
                "INSERT INTO votes (answer_id, user_id, vote, question, refs, voted_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (answer_id, user_id) DO UPDATE SET vote = excluded.vote, voted_at = excluded.voted_at",
                (answer_id, user_id, vote, row[0], row[1], time.time()),
            )
            return True

    def votes(self) -> list[VoteRecord]:
        with self._connect() as conn:
            rows = conn.execute("SELECT answer_id, question, refs, vote FROM votes ORDER BY voted_at").fetchall()
        return [VoteRecord(r[0], r[1], json.loads(r[2]), r[3]) for r in rows]

    def stats(self, recent: int = 5) -> FeedbackStats:
        """Counts for ``/stats`` plus the latest voted-down questions, the ones worth a look."""
        with self._connect() as conn:
            questions, answered = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(answered), 0) FROM answers"
            ).fetchone()
            up, down = conn.execute(
                "SELECT COALESCE(SUM(vote = 1), 0), COALESCE(SUM(vote = -1), 0) FROM votes"
            ).fetchone()
            rows = conn.execute(
                "SELECT answer_id, question, refs, vote FROM votes WHERE vote = -1 ORDER BY voted_at DESC LIMIT ?",
                (recent,),
            ).fetchall()
        return FeedbackStats(
            questions=int(questions),
            answered=int(answered),
            up=int(up),
            down=int(down),
            recent_down=[VoteRecord(r[0], r[1], json.loads(r[2]), r[3]) for r in rows],
        )
