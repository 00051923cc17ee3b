"""The feedback store: answers get ids, votes carry the question and cited chunks, one vote per user."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

import pytest

from bot import feedback
from bot.feedback import FeedbackStore


def make_store(tmp_path: Path) -> FeedbackStore:
    store = FeedbackStore(tmp_path / "sub" / "feedback.sqlite3")
    store.open()
    store.open()  # idempotent: a restart opens an existing file
    return store


def test_votes_are_recorded_with_question_and_refs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A clock that ticks once per call, so "latest first" is decided by the order of the votes, not by
    # whether two of them fell within one tick of the real clock.
    ticks = itertools.count(1000)
    monkeypatch.setattr(feedback.time, "time", lambda: float(next(ticks)))
    store = make_store(tmp_path)
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
    # the latest vote down first: b's, then user 10 changing their vote on a, then user 11's on a
    assert [(v.answer_id, v.question) for v in stats.recent_down] == [(b, "Who?"), (a, "Where?"), (a, "Where?")]
    with sqlite3.connect(store.path) as db:  # readable with plain SQL, for admins
        rows = db.execute("SELECT question, refs FROM votes WHERE answer_id = ?", (a,)).fetchall()
    assert rows == [("Where?", '["a.txt#0", "b.md#2"]')] * 2


def test_empty_store_stats(tmp_path: Path) -> None:
    stats = make_store(tmp_path).stats()
    assert (stats.questions, stats.answered, stats.up, stats.down, stats.recent_down) == (0, 0, 0, 0, [])
