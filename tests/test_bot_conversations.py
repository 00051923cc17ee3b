"""The conversation store: which threads are the bot's conversations, and their turns, across restarts."""

from __future__ import annotations

from bot.conversations import HISTORY_TURNS, ConversationStore
from bot.database import Database
from bot.feedback import FeedbackStore
from bot.render import thread_name
from embeddings import Turn
from embeddings.conversation import Quote


def test_threads_and_turns_survive_a_restart(bot_database: Database) -> None:
    store = ConversationStore(bot_database)
    store.open()
    assert not store.is_conversation(7)
    store.start(7, guild_id=1, parent_id=2, origin="thread")
    store.start(7, guild_id=1, parent_id=2, origin="thread")  # again: nothing changes
    first = Turn("What did Peskov say?", sources=("a.txt", "b.txt"), quotes=(Quote("a.txt", 0, 40), Quote("b.txt", 5, 9)))
    store.add_turn(7, first)
    store.add_turn(7, Turn("and Lavrov?", sources=("a.txt",), opens_topic=False))

    again = ConversationStore(bot_database.url or bot_database.path)  # a new process
    again.open()
    assert again.is_conversation(7) and not again.is_conversation(8)
    assert again.history(7) == [first, Turn("and Lavrov?", sources=("a.txt",), opens_topic=False)]
    assert again.history(8) == []
    with bot_database.connect() as db:
        rows = db.execute("SELECT guild_id, parent_id, origin FROM conversation_threads").fetchall()
    assert [tuple(r) for r in rows] == [(1, 2, "thread")]


def test_history_keeps_the_latest_turns_oldest_first(bot_database: Database) -> None:
    store = ConversationStore(bot_database)
    store.open()
    store.start(1, guild_id=None, parent_id=None, origin="forum")
    for i in range(HISTORY_TURNS + 3):
        store.add_turn(1, Turn(f"q{i}"))
    assert [t.question for t in store.history(1)] == [f"q{i}" for i in range(3, HISTORY_TURNS + 3)]
    store.forget(1)
    assert not store.is_conversation(1) and store.history(1) == []


def test_it_shares_the_database_with_the_feedback_store(bot_database: Database) -> None:
    feedback, conversations = FeedbackStore(bot_database), ConversationStore(bot_database)
    feedback.open()
    conversations.open()
    answer_id = feedback.record_answer(question="q", answered=True, refs=[], user_id=1, guild_id=1, channel_id=7,
                                       via="follow-up")
    conversations.start(7, guild_id=1, parent_id=2, origin="thread")
    with bot_database.connect() as db:
        tables = {row[0] for row in db.execute("SELECT table_name FROM information_schema.tables").fetchall()} \
            if bot_database.dialect == "postgresql" else \
            {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()}
    assert {"answers", "votes", "conversation_threads", "conversation_turns"} <= tables
    assert feedback.stats().questions == 1 and answer_id


def test_thread_names_fit_discord() -> None:
    assert thread_name("What did Peskov say?") == "What did Peskov say?"
    long = thread_name("why " * 60)
    assert len(long) == 100 and long.endswith("…")
    assert thread_name("line one\n\nline two") == "line one line two"
    assert thread_name("   ") == "Question"
