"""The feedback store: answers get ids, votes carry the question and cited chunks, one vote per user.

The store's behaviour is tested on SQLite and on a real PostgreSQL server (``bot_database``); migrating a file
written before migrations existed is SQLite's alone (no PostgreSQL database predates them).
"""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

import pytest

from bot import feedback
from bot.database import Database
from bot.feedback import FeedbackStore


def make_store(database: Database) -> FeedbackStore:
    store = FeedbackStore(database)
    store.open()
    FeedbackStore(database.url or database.path).open()  # idempotent: a restart (or a second process) opens it again
    return store


def test_votes_are_recorded_with_question_and_refs(bot_database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    # A clock that ticks once per call, so "latest first" is decided by the order of the votes, not by
    # whether two of them fell within one tick of the real clock.
    ticks = itertools.count(1000)
    monkeypatch.setattr(feedback.time, "time", lambda: float(next(ticks)))
    store = make_store(bot_database)
    a = store.record_answer(question="Where?", answered=True, refs=["a.txt#0", "b.md#2"], user_id=1,
                            guild_id=2, channel_id=3, via="mention")
    b = store.record_answer(question="Who?", answered=False, refs=[], user_id=1, guild_id=None,
                            channel_id=4, via="slash")
    assert b > a > 0
    assert store.record_vote(a, user_id=10, vote=1)
    assert store.record_vote(a, user_id=11, vote=-1)
    assert store.record_vote(a, user_id=10, vote=-1), "a user can change their vote"
    assert store.record_vote(b, user_id=10, vote=-1)
    assert not store.record_vote(999, user_id=10, vote=1), "unknown answers are not voted on"
    votes = store.votes()
    assert [(v.answer_id, v.vote) for v in votes] == [(a, -1), (a, -1), (b, -1)]
    assert votes[0].question == "Where?" and votes[0].refs == ["a.txt#0", "b.md#2"]
    stats = store.stats()
    assert (stats.questions, stats.answered, stats.up, stats.down) == (2, 1, 0, 3)
    # the latest vote down first: b's, then a's (voted down by users 10 and 11: listed once)
    assert [(v.answer_id, v.question) for v in stats.recent_down] == [(b, "Who?"), (a, "Where?")]
    with bot_database.connect() as db:  # readable with plain SQL, for admins
        rows = db.execute("SELECT question, refs FROM votes WHERE answer_id = ?", (a,)).fetchall()
    assert [tuple(r) for r in rows] == [("Where?", '["a.txt#0", "b.md#2"]')] * 2


def test_empty_store_stats(bot_database: Database) -> None:
    stats = make_store(bot_database).stats()
    assert (stats.questions, stats.answered, stats.up, stats.down, stats.recent_down) == (0, 0, 0, 0, [])


#: The schema the bot wrote before migrations (no answer text, no schema_migrations table).
OLD_SCHEMA = """
CREATE TABLE answers (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at REAL NOT NULL, question TEXT NOT NULL,
    answered INTEGER NOT NULL, refs TEXT NOT NULL, user_id INTEGER, guild_id INTEGER, channel_id INTEGER,
    via TEXT NOT NULL);
CREATE TABLE votes (answer_id INTEGER NOT NULL REFERENCES answers(id), user_id INTEGER NOT NULL,
    vote INTEGER NOT NULL CHECK (vote IN (-1, 1)), question TEXT NOT NULL, refs TEXT NOT NULL,
    voted_at REAL NOT NULL, PRIMARY KEY (answer_id, user_id));
INSERT INTO answers VALUES (1, 100.0, 'Old question?', 1, '["a.txt#0"]', 5, 7, 8, 'mention');
INSERT INTO votes VALUES (1, 5, -1, 'Old question?', '["a.txt#0"]', 101.0);
"""


def test_an_old_database_is_migrated_without_losing_rows(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
    store = FeedbackStore(path)
    store.open()
    store.open()  # each migration runs once
    total, down = store.voted_down(7)
    assert total == 1 and [(r.question, r.answer, r.refs, r.down) for r in down] == [("Old question?", "", ["a.txt#0"], 1)]
    new = store.record_answer(question="New?", answered=True, refs=["b.md#1"], user_id=5, guild_id=7, channel_id=8,
                              via="slash", answer="[1] “quote”")
    assert [(r.answer_id, r.answer) for r in store.answers(7)] == [(1, ""), (new, "[1] “quote”")]
    with sqlite3.connect(path) as db:
        applied = [r[0] for r in db.execute("SELECT name FROM schema_migrations ORDER BY name")]
    assert applied == [name for name, _ in feedback.MIGRATIONS]
    assert store.stats().questions == 2 and store.stats().down == 1


def test_a_failed_migration_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "feedback.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
    broken = (*feedback.MIGRATIONS[:-1], (feedback.MIGRATIONS[-1][0], [*feedback.MIGRATIONS[-1][1], "NOT SQL"]))
    monkeypatch.setattr(FeedbackStore, "MIGRATIONS", broken)
    with pytest.raises(sqlite3.OperationalError):
        FeedbackStore(path).open()
    with sqlite3.connect(path) as db:
        columns = [r[1] for r in db.execute("PRAGMA table_info(answers)")]
        assert "answer" not in columns, "the half-applied step was rolled back"
        assert db.execute("SELECT COUNT(*) FROM answers").fetchone() == (1,)


def test_voted_down_pages_latest_first_and_answers_per_server(bot_database: Database,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = itertools.count(1000)
    monkeypatch.setattr(feedback.time, "time", lambda: float(next(ticks)))
    store = make_store(bot_database)
    ids = [store.record_answer(question=f"Q{i}", answered=True, refs=[], user_id=1, guild_id=7, channel_id=3,
                               via="mention", answer=f"A{i}") for i in range(5)]
    other = store.record_answer(question="Elsewhere", answered=True, refs=[], user_id=1, guild_id=8, channel_id=4,
                                via="mention")
    for answer_id in (ids[2], ids[0], ids[4], other):
        store.record_vote(answer_id, user_id=10, vote=-1)
    store.record_vote(ids[1], user_id=10, vote=1)
    store.record_vote(ids[2], user_id=11, vote=1)
    total, first = store.voted_down(7, offset=0, limit=2)
    assert total == 3 and [r.question for r in first] == ["Q4", "Q0"]
    _, rest = store.voted_down(7, offset=2, limit=2)
    assert [(r.question, r.down, r.up) for r in rest] == [("Q2", 1, 1)]
    everything = store.answers(7)
    assert [(r.question, r.answer, r.down, r.up) for r in everything] == [
        ("Q0", "A0", 1, 0), ("Q1", "A1", 0, 1), ("Q2", "A2", 1, 1), ("Q3", "A3", 0, 0), ("Q4", "A4", 1, 0)]
    assert everything[3].last_vote_at is None and everything[0].asked_at < everything[1].asked_at
    assert [r.question for r in store.answers(7, since=everything[3].asked_at)] == ["Q3", "Q4"]
    here, everywhere = store.stats(guild_id=7), store.stats()
    assert (here.questions, here.up, here.down, everywhere.questions, everywhere.down) == (5, 2, 3, 6, 4)
    assert "Elsewhere" not in [v.question for v in here.recent_down]
    assert [v.question for v in everywhere.recent_down][0] == "Elsewhere"
