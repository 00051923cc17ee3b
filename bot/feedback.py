"""Questions answered and 👍/👎 votes, in the bot's database (``bot.database``: SQLite or PostgreSQL).

Every answer the bot sends is recorded with its question, the text people read and the chunk refs it
cited, and gets an id that the feedback buttons carry in their ``custom_id``. A vote therefore still lands
on the right answer after a restart, and admins can see *what* was voted down (``/stats``, ``/feedback``),
not only how often, and export it all (``/feedback export``) to see which questions their documents fail.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from bot.database import Migration, Store

#: Oldest first; see ``bot.database`` (a file from before migrations gets the steps it lacks).
MIGRATIONS: tuple[Migration, ...] = (
    (
        "feedback-1-answers-and-votes",
        (
            """CREATE TABLE IF NOT EXISTS answers (
                id          INTEGER PRIMARY KEY AUTOINCREMENT,
                created_at  REAL    NOT NULL,
                question    TEXT    NOT NULL,
                answered    INTEGER NOT NULL,
                refs        TEXT    NOT NULL,          -- JSON list of cited chunk refs, "doc_id#chunk"
                user_id     INTEGER,
                guild_id    INTEGER,
                channel_id  INTEGER,
                via         TEXT    NOT NULL           -- "mention", "slash", "context-menu", ...
            )""",
            """CREATE TABLE IF NOT EXISTS votes (
                answer_id   INTEGER NOT NULL REFERENCES answers(id),
                user_id     INTEGER NOT NULL,
                vote        INTEGER NOT NULL CHECK (vote IN (-1, 1)),
                question    TEXT    NOT NULL,          -- copied from the answer so a vote row reads on its own
                refs        TEXT    NOT NULL,
                voted_at    REAL    NOT NULL,
                PRIMARY KEY (answer_id, user_id)
            )""",
        ),
    ),
    (
        "feedback-2-answer-text",
        (
            # What people read (quotes and sources as plain text); NULL for answers recorded before.
            "ALTER TABLE answers ADD COLUMN answer TEXT",
            "CREATE INDEX IF NOT EXISTS answers_by_guild ON answers (guild_id, created_at)",
        ),
    ),
)


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


@dataclass(frozen=True)
class AnswerRecord:
    """One answer with its votes, as ``/feedback`` shows it and its export writes it."""

    answer_id: int
    asked_at: float
    question: str
    answer: str  # "" for answers recorded before the text was kept
    answered: bool
    refs: list[str]
    via: str
    channel_id: int | None
    up: int
    down: int
    last_vote_at: float | None


#: An answer and its votes; "down_at" is when it was last voted down (for "most recent first").
_ANSWER_WITH_VOTES = """
SELECT a.id, a.created_at, a.question, a.answer, a.answered, a.refs, a.via, a.channel_id,
       COALESCE(SUM(CASE WHEN v.vote = 1 THEN 1 ELSE 0 END), 0) AS up,
       COALESCE(SUM(CASE WHEN v.vote = -1 THEN 1 ELSE 0 END), 0) AS down,
       MAX(v.voted_at) AS last_vote_at,
       MAX(CASE WHEN v.vote = -1 THEN v.voted_at END) AS down_at
FROM answers a {join} votes v ON v.answer_id = a.id
WHERE a.guild_id = ? {where}
GROUP BY a.id, a.created_at, a.question, a.answer, a.answered, a.refs, a.via, a.channel_id
"""


def _answer_record(row: tuple[Any, ...]) -> AnswerRecord:
    return AnswerRecord(
        answer_id=int(row[0]),
        asked_at=float(row[1]),
        question=row[2],
        answer=row[3] or "",
        answered=bool(row[4]),
        refs=json.loads(row[5]),
        via=row[6],
        channel_id=row[7],
        up=int(row[8]),
        down=int(row[9]),
        last_vote_at=row[10],
    )


class FeedbackStore(Store):
    """Answers and votes in the bot's database; the engine's index never depends on it."""

    MIGRATIONS = MIGRATIONS

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
        answer: str = "",
    ) -> int:
        """Store an answer before it is sent and return the id its feedback buttons will carry.

        ``answer`` is the text people read (``RenderedAnswer.plain_text``), kept for ``/feedback``.
        """
        with self._lock, self._connect() as conn:
            return conn.insert(
                "INSERT INTO answers (created_at, question, answered, refs, user_id, guild_id, channel_id, via,"
                " answer) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (time.time(), question, int(answered), json.dumps(refs), user_id, guild_id, channel_id, via, answer),
            )

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

    def stats(self, recent: int = 5, guild_id: int | None = None) -> FeedbackStats:
        """Counts for ``/stats`` plus the latest voted-down questions, the ones worth a look; of one server
        when ``guild_id`` is given (a server's admins see their own server's questions only)."""
        where, params = ("WHERE a.guild_id = ?", (guild_id,)) if guild_id is not None else ("", ())
        with self._connect() as conn:
            questions, answered = conn.execute(
                f"SELECT COUNT(*), COALESCE(SUM(a.answered), 0) FROM answers a {where}", params
            ).fetchone()
            up, down = conn.execute(
                "SELECT COALESCE(SUM(CASE WHEN v.vote = 1 THEN 1 ELSE 0 END), 0),"
                " COALESCE(SUM(CASE WHEN v.vote = -1 THEN 1 ELSE 0 END), 0)"
                f" FROM votes v JOIN answers a ON a.id = v.answer_id {where}",
                params,
            ).fetchone()
            # One line per answer, however many people voted it down (it was listed once per vote).
            rows = conn.execute(
                "SELECT v.answer_id, MIN(v.question), MIN(v.refs), -1 FROM votes v JOIN answers a ON a.id = v.answer_id"
                f" {where or 'WHERE 1 = 1'} AND v.vote = -1 GROUP BY v.answer_id ORDER BY MAX(v.voted_at) DESC LIMIT ?",
                (*params, recent),
            ).fetchall()
        return FeedbackStats(
            questions=int(questions),
            answered=int(answered),
            up=int(up),
            down=int(down),
            recent_down=[VoteRecord(r[0], r[1], json.loads(r[2]), r[3]) for r in rows],
        )

    def voted_down(self, guild_id: int, *, offset: int = 0, limit: int = 5) -> tuple[int, list[AnswerRecord]]:
        """A server's answers with at least one 👎, most recently voted down first: (how many, this page)."""
        query = _ANSWER_WITH_VOTES.format(join="JOIN", where="")
        having = " HAVING SUM(CASE WHEN v.vote = -1 THEN 1 ELSE 0 END) > 0"
        with self._connect() as conn:
            total = conn.execute(f"SELECT COUNT(*) FROM ({query}{having}) AS down_voted", (guild_id,)).fetchone()[0]
            rows = conn.execute(
                f"{query}{having} ORDER BY down_at DESC, a.id DESC LIMIT ? OFFSET ?", (guild_id, limit, offset)
            ).fetchall()
        return int(total), [_answer_record(r) for r in rows]

    def answers(self, guild_id: int, *, since: float | None = None) -> list[AnswerRecord]:
        """Every answer given in a server (since a time), oldest first, with its votes: the export."""
        query = _ANSWER_WITH_VOTES.format(join="LEFT JOIN", where="AND a.created_at >= ?")
        with self._connect() as conn:
            rows = conn.execute(f"{query} ORDER BY a.created_at, a.id", (guild_id, since or 0.0)).fetchall()
        return [_answer_record(r) for r in rows]
