"""End to end: ``/config``, each server's own settings, in one bot process serving two servers.

Same harness as ``test_bot_e2e``: the real discord.py client against ``tests.fake_discord`` (here with a
second server, :meth:`FakeDiscord.add_guild`) and a real index. The settings are stored in the bot's
database: a restarted bot keeps them.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import pytest

from tests.bot_fixtures import EPHEMERAL, embed_text
from tests.fake_discord import FakeDiscord

pytestmark = pytest.mark.slow

SOURDOUGH = "How long does the sourdough loaf bake?"
READING_ROOM = "When does the reading room close on Fridays?"


async def two_servers(start_bot: Any) -> tuple[Any, dict[str, Any]]:
    """A bot in the fake's server and in a second one where alice and carol are plain members."""
    fake = await FakeDiscord().start()
    second = fake.add_guild("Second Guild", members=[fake.human, fake.moderator], channels=["general", "help"])
    h = await start_bot({"guild_ids": [int(fake.guild_id), int(second["id"])]}, fake=fake)
    return h, second


def settings_log(h: Any) -> list[tuple[int, str, str | None, int]]:
    with sqlite3.connect(h.settings.feedback_path) as db:
        return db.execute("SELECT guild_id, name, new_value, user_id FROM server_settings_log "
                          "ORDER BY changed_at, rowid").fetchall()


async def test_two_servers_with_different_settings_behave_differently(start_bot: Any,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h, second = await two_servers(start_bot)
    fake = h.fake
    bob, g1, g2 = fake.admin, fake.guild_id, second["id"]
    g2_general, g2_help = second["channel_ids"]
    assert {g.id for g in h.bot.guilds} == {int(g1), int(g2)}

    # The first server's admin configures the first server only.
    for name, options in [
        ("config answer-channel", {"action": "add", "channel": fake.other_channel_id}),
        ("config lookups-ephemeral", {"enabled": False}),
        ("config cooldown", {"questions": 1, "seconds": 3600}),
        ("config admin-role", {"action": "add", "role": fake.mod_role_id}),
    ]:
        record = await h.slash(name, options, user=bob)
        content = record["original"]["content"]
        assert record["original"]["flags"] & EPHEMERAL and content.startswith("✅"), (name, content)
        assert "Applies now" in content
    # The second server's admin (bob owns it too) sets something else there.
    record = await h.slash("config answer-channel", {"action": "add", "channel": g2_help}, user=bob, channel_id=g2_general)
    assert f"<#{g2_help}>" in record["original"]["content"]

    # Answer channels: each server's own.
    g1_plain = await fake.push_message(READING_ROOM, channel_id=fake.other_channel_id)
    assert "nine in the evening" in embed_text(await h.reply_to(g1_plain))
    g2_plain = await fake.push_message(READING_ROOM, channel_id=g2_help, author=fake.moderator)
    assert "nine in the evening" in embed_text(await h.reply_to(g2_plain))
    g2_elsewhere = await fake.push_message(READING_ROOM, channel_id=g2_general, author=fake.moderator)
    g1_elsewhere = await fake.push_message(READING_ROOM, channel_id=fake.channel_id, author=fake.moderator)

    # Look-ups: public in the first server, ephemeral (the default) in the second.
    g1_search = await h.slash("search", {"query": "sourdough"}, user=fake.moderator)
    assert not g1_search["callbacks"][0].get("data", {}).get("flags", 0) & EPHEMERAL
    g2_search = await h.slash("search", {"query": "sourdough"}, user=fake.moderator, channel_id=g2_general)
    assert g2_search["callbacks"][0]["data"]["flags"] & EPHEMERAL

    # Cooldown: one question per hour in the first server (alice asked above); none in the second.
    again = await fake.push_message(SOURDOUGH, mention_bot=True)
    assert "try again in" in (await h.reply_to(again))["content"]
    for _ in range(2):
        asked = await fake.push_message(SOURDOUGH, mention_bot=True, channel_id=g2_general)
        assert "forty minutes" in embed_text(await h.reply_to(asked))

    # Admin roles: carol's "Docs team" is an admin role in the first server only.
    stats = await h.slash("stats", user=fake.moderator)
    assert stats["original"]["embeds"][0]["title"] == "Document bot statistics"
    refused = await h.slash("stats", user=fake.moderator, channel_id=g2_general)
    assert "/stats is for admins" in refused["original"]["content"]

    # The messages elsewhere were not answered (a mention sent after them in each channel was).
    for channel in (g2_general, fake.channel_id):
        await h.reply_to(await fake.push_message(SOURDOUGH, mention_bot=True, channel_id=channel, author=fake.admin))
    assert not h.replies_to(g2_elsewhere) and not h.replies_to(g1_elsewhere)

    # /config show: what is in effect, what the server chose, and who changed it.
    shown = embed_text((await h.slash("config show", user=bob))["original"])
    assert f"<#{fake.other_channel_id}> · *set here*" in shown and f"<#{g2_help}>" not in shown
    assert f"<@&{fake.mod_role_id}>" in shown and f"<@{bob['id']}>" in shown
    assert "only the asker sees the reply · *default*" in shown, "context menu still the default"
    shown2 = embed_text((await h.slash("config show", user=bob, channel_id=g2_general))["original"])
    assert f"<#{g2_help}> · *set here*" in shown2 and "1 s" not in shown2 and "Cooldown: questions per person\n0" in shown2

    # Every change: a stored row with who and when, and a log line.
    log = settings_log(h)
    assert [(str(g), n) for g, n, _, _ in log] == [
        (g1, "answer_channels"), (g1, "sources_ephemeral"), (g1, "cooldown_questions"), (g1, "cooldown_seconds"),
        (g1, "admin_role_ids"), (g2, "answer_channels")]
    assert all(str(user) == bob["id"] for *_, user in log)
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.config_store" and "changed" in r.getMessage()]
    assert len(lines) == 6 and all(f"by user {bob['id']}" in line for line in lines)

    # A restart keeps each server's settings: they live in the bot's database.
    await h.bot.close()
    await h.runner
    h2 = await start_bot({"guild_ids": [int(g1), int(g2)]}, fake=fake)
    after = await fake.push_message(READING_ROOM, channel_id=fake.other_channel_id, author=fake.moderator)
    assert "nine in the evening" in embed_text(await h2.reply_to(after))
    assert not h2.bot.server_config(int(g2)).answer_channels - {int(g2_help)}


async def test_reply_mode_per_server_and_channel_and_reset(start_bot: Any) -> None:
    h = await start_bot()
    fake, bob = h.fake, h.fake.admin
    await h.slash("config reply-mode", {"mode": "thread"}, user=bob)
    await h.slash("config reply-mode", {"mode": "reply", "channel": fake.other_channel_id}, user=bob)
    config = h.bot.server_config(int(fake.guild_id))
    assert config.reply_mode_in(int(fake.channel_id)) == "thread"
    assert config.reply_mode_in(int(fake.other_channel_id)) == "reply"
    same = await h.slash("config reply-mode", {"mode": "thread"}, user=bob)
    assert same["original"]["content"].startswith("Nothing changed")
    cleared = await h.slash("config reply-mode", {"mode": "default", "channel": fake.other_channel_id}, user=bob)
    assert cleared["original"]["content"].startswith("✅")
    assert h.bot.server_config(int(fake.guild_id)).reply_mode_in(int(fake.other_channel_id)) == "thread"
    everything = await h.slash("config reset", {"setting": "all"}, user=bob)
    assert "Reply mode: thread" in everything["original"]["content"] and "(default)" in everything["original"]["content"]
    assert h.bot.server_config(int(fake.guild_id)) == h.bot.server_configs.defaults
    refused = await h.slash("config admin-role", {"action": "add", "role": fake.guild_id}, user=bob)
    assert "@everyone can't be an admin role" in refused["original"]["content"]


async def test_config_is_refused_to_non_admins_and_changes_nothing(start_bot: Any) -> None:
    h = await start_bot()
    fake = h.fake
    before = h.bot.server_config(int(fake.guild_id))
    attempts = [
        ("config show", None),
        ("config answer-channel", {"action": "add", "channel": fake.other_channel_id}),
        ("config admin-role", {"action": "add", "role": fake.mod_role_id}),
        ("config cooldown", {"questions": 0}),
        ("config lookups-ephemeral", {"enabled": False}),
        ("config reset", {"setting": "all"}),
    ]
    for user in (fake.human, fake.moderator):
        for name, options in attempts:
            record = await h.slash(name, options, user=user)
            callback = record["callbacks"][0]
            text = callback["data"]["content"]
            assert callback["type"] == 4 and callback["data"]["flags"] & EPHEMERAL, name
            assert text.startswith(f"🔒 /{name} is for admins") and "Nothing was changed" in text, text
            assert "\n" not in text, "a one-line refusal"
    assert h.bot.server_config(int(fake.guild_id)) == before
    assert not h.bot.server_configs.overridden(int(fake.guild_id))
    assert settings_log(h) == []
    with sqlite3.connect(h.settings.feedback_path) as db:
        assert db.execute("SELECT COUNT(*) FROM server_settings").fetchone() == (0,)
    # and the channel is still not an answer channel
    plain = await fake.push_message(READING_ROOM, channel_id=fake.other_channel_id)
    await h.reply_to(await fake.push_message(READING_ROOM, channel_id=fake.other_channel_id, mention_bot=True))
    assert not h.replies_to(plain)
