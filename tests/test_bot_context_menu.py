"""End to end: "Ask about this message" (a message context-menu command), and a bot whose application has
not been granted the privileged Message Content intent.

Same harness as ``test_bot_e2e``: the real discord.py client against ``tests.fake_discord`` and a real index.
The fake closes an IDENTIFY that asks for a privileged intent the application has not enabled with code
4014, as Discord does, and blanks the text of guild messages that do not mention the bot for a connection
without the intent; a context menu's target message always carries its text.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timezone
from typing import Any

import pytest

from tests.bot_fixtures import EPHEMERAL, PESKOV_FACT, PESKOV_QUESTION, custom_ids, embed_text, sources_listed
from tests.doc_fixtures import RESIGNATION_QUESTION, RESIGNATIONS
from tests.fake_discord import INTENT_MESSAGE_CONTENT, FakeDiscord

pytestmark = pytest.mark.slow

MENU = "Ask about this message"
SOURDOUGH = "How long does the sourdough loaf bake?"


def answers(h: Any) -> list[tuple[str, str]]:
    with sqlite3.connect(h.settings.feedback_path) as db:
        return db.execute("SELECT question, via FROM answers ORDER BY id").fetchall()


async def test_ask_about_a_message_answers_its_text_ephemerally_then_publicly(start_bot: Any) -> None:
    h = await start_bot()
    fake = h.fake
    # Someone asks in the channel without mentioning the bot: nobody answers...
    asked = await fake.push_message(SOURDOUGH, author=fake.moderator)
    # ...until another member right-clicks it → Apps → "Ask about this message".
    record = await h.message_command(asked, user=fake.human)
    assert record["callbacks"][0]["type"] == 5, "deferred (thinking) first: the engine may take a while"
    assert record["callbacks"][0]["data"]["flags"] & EPHEMERAL, "only the asker sees it by default"
    answer = h.reply(record)
    text = embed_text(answer)
    assert answer["embeds"][0]["title"] == SOURDOUGH, "the target message's text is the question"
    assert "forty minutes" in text and any("Sourdough notes" in line for line in sources_listed(answer))
    jump = f"https://discord.com/channels/{fake.guild_id}/{fake.channel_id}/{asked['id']}"
    assert answer["content"] == f"About {jump}", "the answer links the message it is about"
    assert [cid.rsplit(":", 1)[1] for cid in custom_ids(answer)] == ["up", "down"]
    assert not h.replies_to(asked) and not fake.bot_messages(fake.channel_id), "nothing public"
    assert answers(h) == [(SOURDOUGH, "context-menu")]

    # The server makes it public: the same command now answers in the channel for everyone.
    changed = await h.slash("config context-menu-ephemeral", {"enabled": False}, user=fake.admin)
    assert changed["original"]["content"].startswith("✅")
    mentioning = await fake.push_message(f"<@{fake.app_id}> {PESKOV_QUESTION}", author=fake.moderator)
    await h.reply_to(mentioning)  # the mention itself is answered as usual
    record = await h.message_command(mentioning, user=fake.human)
    assert not (record["callbacks"][0].get("data") or {}).get("flags", 0) & EPHEMERAL
    answer = h.reply(record)
    assert answer["embeds"][0]["title"] == PESKOV_QUESTION, "the mention of the bot is not part of the question"
    assert PESKOV_FACT.search(embed_text(answer))
    assert any(m["id"] == answer["id"] for m in fake.bot_messages(fake.channel_id)), "visible in the channel"


async def test_ask_about_a_message_without_text_or_too_often(start_bot: Any) -> None:
    h = await start_bot({"cooldown_questions": 1, "cooldown_seconds": 3600})
    fake = h.fake
    image = await fake.push_message("", attachments=[("photo.png", b"\x89PNG\r\n\x1a\n", "image/png")])
    record = await h.message_command(image)
    reply = h.reply(record)
    assert reply["flags"] & EPHEMERAL and "no text to ask about" in reply["content"]
    assert "\n" not in reply["content"], "one line"

    first = await h.message_command(await fake.push_message(SOURDOUGH))
    assert "forty minutes" in embed_text(h.reply(first))
    second = await h.message_command(await fake.push_message("When does the reading room close on Fridays?"))
    reply = h.reply(second)
    assert second["callbacks"][0]["type"] == 4 and reply["flags"] & EPHEMERAL
    assert "try again in" in reply["content"], "the same per-user cooldown as mentions and /ask"
    assert answers(h) == [(SOURDOUGH, "context-menu")]


@pytest.mark.parametrize("asked_for_it", [True, False], ids=["not-enabled-in-the-portal", "setting-off"])
async def test_without_the_message_content_intent_mentions_slash_and_context_menu_work(
    start_bot: Any, caplog: pytest.LogCaptureFixture, asked_for_it: bool
) -> None:
    """The application never enabled Message Content in the developer portal: Discord would close an
    IDENTIFY asking for it with 4014 (and a sharded client closes itself then). The bot reads the
    application's flags first and connects without it (or, with the setting off, never asks); it keeps every
    feature that does not need it, answer channels stay silent, and the log says so once."""
    fake = await FakeDiscord(enabled_intents=0).start()
    caplog.set_level(logging.INFO)
    h = await start_bot(lambda f: {"answer_channels": [int(f.other_channel_id)],
                                   "message_content_intent": asked_for_it}, fake=fake)
    identifies = [p["d"]["intents"] for c in fake.gateway_conns for p in c.received if p["op"] == 2]
    assert not fake.refused_identifies and len(identifies) == 1, "never asked, so never refused"
    assert not identifies[0] & INTENT_MESSAGE_CONTENT
    assert h.bot.is_ready() and not h.bot.reads_message_content
    warnings = [r.getMessage() for r in caplog.records
                if r.levelno == logging.WARNING and "Message Content" in r.getMessage()]
    assert len(warnings) == 1 and "answer channels are off" in warnings[0], warnings

    # a mention carries its text without the intent, in a channel and in a DM
    mention = await fake.push_message(PESKOV_QUESTION, mention_bot=True)
    assert PESKOV_FACT.search(embed_text(await h.reply_to(mention)))
    dm = await fake.push_message(SOURDOUGH, channel_id=fake.dm_channel_id, mention_bot=True)
    assert "forty minutes" in embed_text(await h.reply_to(dm))
    # slash commands and the context menu carry theirs
    ask = await h.slash("ask", {"question": "How many tonnes of corn did the Razoni carry?"})
    assert "26,000 tonnes of corn" in embed_text(h.reply(ask))
    unreadable = await fake.push_message(SOURDOUGH, channel_id=fake.other_channel_id)
    record = await h.message_command(unreadable)
    assert "forty minutes" in embed_text(h.reply(record)), "the target's text comes with the command"
    # the answer channel is not answered: the bot cannot read it (a mention there still is)
    sentinel = await fake.push_message(SOURDOUGH, channel_id=fake.other_channel_id, mention_bot=True)
    await h.reply_to(sentinel)
    assert not h.replies_to(unreadable)
    # /config says why an answer channel would not work
    shown = await h.slash("config show", user=fake.admin)
    assert "without the Message Content intent" in embed_text(shown["original"])
    assert [r.getMessage() for r in caplog.records
            if r.levelno == logging.WARNING and "Message Content" in r.getMessage()] == warnings, "said once"


async def test_a_question_about_this_week_is_answered_for_the_week_its_message_was_written(
        start_bot: Any, bot_dirs: Any) -> None:
    from embeddings import Engine, EngineSettings

    for name, text in RESIGNATIONS.items():
        (bot_dirs.docs_dir / name).write_text(text, encoding="utf-8")
    Engine(EngineSettings(data_dir=bot_dirs.data_dir, docs_dir=bot_dirs.docs_dir, _env_file=None)).reindex()
    h = await start_bot()
    fake = h.fake
    for written, who in ((datetime(2022, 7, 8, 9, tzinfo=timezone.utc), "Boris Johnson"),
                         (datetime(2019, 3, 22, 9, tzinfo=timezone.utc), "Anders Berg")):
        asked = await fake.push_message(RESIGNATION_QUESTION, author=fake.moderator, written_at=written)
        mention = await fake.push_message(RESIGNATION_QUESTION, mention_bot=True, written_at=written)
        for text in (embed_text(h.reply(await h.message_command(asked, user=fake.human))),
                     embed_text(await h.reply_to(mention))):
            first_quote = next(line for line in text.splitlines() if line.startswith("> "))
            assert who in first_quote, f"written on {written:%d %B %Y}, it asks about {who}: {text}"
