"""Per-server settings in the bot's database: overrides over the .env defaults, cached, logged, persistent."""

from __future__ import annotations

import logging
import threading

import pytest

from bot.config_store import ServerConfigStore
from bot.database import Database
from bot.server_config import ServerConfig

DEFAULTS = ServerConfig(answer_channels=frozenset({1}), cooldown_questions=5)


def make_store(database: Database) -> ServerConfigStore:
    """A store of its own, as another process (or a restart) would have."""
    store = ServerConfigStore(database.url or database.path, DEFAULTS)
    store.open()
    return store


def test_a_server_that_set_nothing_follows_the_defaults(bot_database: Database) -> None:
    store = make_store(bot_database)
    assert store.get(42) is DEFAULTS and store.get(None) is DEFAULTS
    assert store.overridden(42) == frozenset()


def test_changes_apply_at_once_to_one_server_persist_and_are_logged(bot_database: Database,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    path = bot_database
    store = make_store(path)
    with caplog.at_level(logging.INFO, logger="bot.config_store"):
        changes = store.update(42, 7, lambda c: {"answer_channels": c.answer_channels | {2},
                                                 "channel_reply_modes": {3: "thread"}, "cooldown_questions": 5})
    assert [c.name for c in changes] == ["answer_channels", "channel_reply_modes"], "an unchanged value is no change"
    assert store.get(42).answer_channels == {1, 2} and store.get(42).reply_mode_in(3) == "thread"
    assert store.get(43) is DEFAULTS, "other servers keep the defaults"
    assert "server 42: answer_channels changed from default ([1]) to [1, 2] by user 7" in caplog.text
    reopened = make_store(path)
    assert reopened.get(42) == store.get(42) and reopened.overridden(42) == {"answer_channels", "channel_reply_modes"}
    reset = reopened.reset(42, 8, ["answer_channels", "quiet"])
    assert [(c.name, c.old, c.new, c.user_id) for c in reset] == [("answer_channels", frozenset({1, 2}), None, 8)]
    assert reopened.get(42).answer_channels == DEFAULTS.answer_channels
    history = reopened.history(42)
    assert [(c.name, c.new, c.user_id) for c in history][0] == ("answer_channels", None, 8)
    assert {(c.name, c.user_id) for c in history[1:]} == {("answer_channels", 7), ("channel_reply_modes", 7)}
    assert all(c.changed_at > 0 for c in history)


def test_bad_values_are_refused_and_bad_rows_ignored(bot_database: Database, caplog: pytest.LogCaptureFixture) -> None:
    path = bot_database
    store = make_store(path)
    with pytest.raises(ValueError):
        store.update(42, 7, lambda c: {"reply_mode": "shout"})
    with pytest.raises(ValueError):
        store.update(42, 7, lambda c: {"no_such_setting": 1})
    assert store.get(42) is DEFAULTS
    with bot_database.connect() as db:  # a row an older or newer version wrote, and a damaged one
        db.execute("INSERT INTO server_settings VALUES (42, 'from_the_future', '1', 0, 7)")
        db.execute("INSERT INTO server_settings VALUES (42, 'cooldown_questions', '\"many\"', 0, 7)")
        db.execute("INSERT INTO server_settings VALUES (42, 'quiet', 'false', 0, 7)")
    with caplog.at_level(logging.WARNING):
        reopened = make_store(path)
    assert reopened.get(42) == ServerConfig(**{**DEFAULTS.__dict__, "quiet": False})
    assert "from_the_future" in caplog.text and "cooldown_questions" in caplog.text


def test_concurrent_changes_are_all_kept(bot_database: Database) -> None:
    store = make_store(bot_database)
    start = threading.Barrier(8)

    def add(channel: int) -> None:
        start.wait()
        store.update(42, channel, lambda c: {"answer_channels": c.answer_channels | {channel}})

    threads = [threading.Thread(target=add, args=(100 + i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get(42).answer_channels == {1, *range(100, 108)}
    assert make_store(bot_database).get(42).answer_channels == {1, *range(100, 108)}


def test_a_change_made_by_another_process_is_read_again(bot_database: Database,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    """Two processes share the database: each caches settings in memory, and refresh() (called before every
    message and command of a server) reads a server's rows again only when another process changed them."""
    here, there = make_store(bot_database), make_store(bot_database)
    assert not there.refresh(42), "nothing changed: nothing read"
    here.update(42, 7, lambda c: {"cooldown_questions": 9, "quiet": False})
    assert there.get(42) is DEFAULTS, "cached until refreshed"
    with caplog.at_level(logging.INFO, logger="bot.config_store"):
        assert there.refresh(42)
    assert "server 42: settings changed by another process" in caplog.text
    assert there.get(42).cooldown_questions == 9 and there.overridden(42) == {"cooldown_questions", "quiet"}
    assert not there.refresh(42) and not here.refresh(42), "its own change is no news to a process"
    assert there.get(43) is DEFAULTS and not there.refresh(43)

    here.reset(42, 7, ["quiet"])  # a reset deletes the row: the version still moves
    assert there.refresh(42) and there.overridden(42) == {"cooldown_questions"} and there.get(42).quiet
    # a change computed in one process starts from what the other stored, not from its stale memory
    there.reset(42, 8, ["cooldown_questions"])
    here.update(42, 7, lambda c: {"answer_channels": c.answer_channels | {5}})
    assert here.get(42) == ServerConfig(**{**DEFAULTS.__dict__, "answer_channels": frozenset({1, 5})})
    assert there.refresh(42) and there.get(42) == here.get(42)
