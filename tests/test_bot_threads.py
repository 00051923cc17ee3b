"""End to end: threads, follow-up questions, forum posts and the quiet rule, through the real discord.py
client against the fake Discord (``tests/fake_discord.py``), answering from a real index.

Reply mode ``thread`` opens a thread on the question and answers there; every later message from a person
in that thread is a follow-up, answered without a mention and read with the questions before it, also
after the thread was archived and the bot restarted. A forum channel set as an answer channel gets an
answer on each new post, in the post. In answer channels the bot stays quiet on small talk, emoji and links.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from typing import Any

import pytest

from bot.server_config import ServerConfig
from tests.bot_fixtures import PESKOV_FACT, PESKOV_QUESTION, SEED_ID, embed_text

pytestmark = pytest.mark.slow

LAVROV_FACT = "inch closer to finalizing a peace settlement"
ISTANBUL_FACT = "Istanbul on June 8"


def thread_messages(h: Any, thread_id: str) -> list[dict[str, Any]]:
    return h.fake.bot_messages(thread_id)


async def answer_in(h: Any, thread_id: str, count: int = 1) -> dict[str, Any]:
    """Wait until the bot has sent ``count`` messages in the thread; the last one."""
    messages = await h.fake.wait_until(lambda: len(thread_messages(h, thread_id)) >= count and thread_messages(h, thread_id))
    return messages[count - 1]


async def turns(h: Any, thread_id: str, count: int) -> list[Any]:
    """The thread's conversation once it has ``count`` turns (a turn is recorded just after its answer is sent)."""
    return await h.fake.wait_until(lambda: (t := h.bot.conversations.history(int(thread_id))) and len(t) >= count and t)


async def open_thread_on_peskov(h: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ask the Peskov question with a mention in #general (thread mode); the thread and the first answer."""
    question = await h.fake.push_message(PESKOV_QUESTION, mention_bot=True)
    first = await answer_in(h, question["id"])
    await turns(h, question["id"], 1)
    return h.fake.channels[question["id"]], first


# --------------------------------------------------------------------------- thread mode
async def test_thread_mode_opens_a_thread_named_from_the_question_and_answers_in_it(start_bot: Any) -> None:
    h = await start_bot({"reply_mode": "thread"})
    fake = h.fake
    question = await fake.push_message(PESKOV_QUESTION, mention_bot=True)
    first = await answer_in(h, question["id"])
    create = next(r for r in fake.requests if r["method"] == "POST" and r["path"].endswith("/threads"))
    assert create["path"] == f"/channels/{fake.channel_id}/messages/{question['id']}/threads"
    assert create["json"]["name"] == PESKOV_QUESTION
    assert create["json"]["auto_archive_duration"] == 1440, "Discord archives it as the channel says"
    assert create["status"] == 201
    thread = fake.channels[question["id"]]
    assert (thread["type"], thread["parent_id"], thread["owner_id"]) == (11, fake.channel_id, fake.app_id)
    assert fake.get_message(question["id"])["thread"]["id"] == question["id"], "the question carries the thread"
    assert PESKOV_FACT.search(embed_text(first)) and first["embeds"][0]["title"] == PESKOV_QUESTION
    assert not fake.bot_messages(fake.channel_id), "nothing is posted in the channel itself"
    assert h.bot.conversations.is_conversation(int(question["id"]))

    long_question = "Please tell me " + "very " * 30 + "precisely what Peskov said about a meeting?"
    second = await fake.push_message(long_question, mention_bot=True)
    await answer_in(h, second["id"])
    name = fake.channels[second["id"]]["name"]
    assert len(name) == 100 and name.endswith("…") and name.startswith("Please tell me very")


async def test_follow_ups_in_the_bots_thread_with_and_without_a_mention(start_bot: Any) -> None:
    h = await start_bot({"reply_mode": "thread"})
    fake = h.fake
    thread, _ = await open_thread_on_peskov(h)
    tid = thread["id"]
    plain = await fake.push_message("and what did Lavrov say?", channel_id=tid)  # no mention
    reply = await h.reply_to(plain)
    assert reply["channel_id"] == tid and LAVROV_FACT in embed_text(reply)
    assert "Read as a follow-up to “What did Peskov say" in reply["embeds"][0]["footer"]["text"]
    await turns(h, tid, 2)
    mentioned = await fake.push_message("when is he visiting Istanbul?", channel_id=tid, mention_bot=True)
    reply = await h.reply_to(mentioned)
    assert ISTANBUL_FACT in embed_text(reply) and f"<@{fake.app_id}>" not in reply["embeds"][0]["title"]
    history = await turns(h, tid, 3)
    assert [t.question for t in history] == [PESKOV_QUESTION, "and what did Lavrov say?", "when is he visiting Istanbul?"]
    assert history[0].sources[0] == SEED_ID and history[0].opens_topic and not history[1].opens_topic
    # /ask in the thread is a turn of the conversation too
    record = await h.slash("ask", {"question": "who mediated the talks?"}, channel_id=tid)
    assert "mediated in large part by Turkey" in embed_text(h.reply(record))
    assert len(await turns(h, tid, 4)) == 4
    # outside the thread a message without a mention is still not for the bot
    elsewhere = await fake.push_message("and what did Lavrov say?")
    sentinel = await fake.push_message("and when was that?", channel_id=tid)
    await h.reply_to(sentinel)
    assert not h.replies_to(elsewhere)


async def test_the_bots_thread_keeps_quiet_on_small_talk(start_bot: Any) -> None:
    h = await start_bot({"reply_mode": "thread"})
    fake = h.fake
    thread, _ = await open_thread_on_peskov(h)
    chatter = [await fake.push_message(text, channel_id=thread["id"]) for text in ("thanks!", "🙏", "lol ok")]
    sentinel = await fake.push_message("and what did Lavrov say?", channel_id=thread["id"])
    await h.reply_to(sentinel)
    assert all(not h.replies_to(m) for m in chatter)
    assert len(await turns(h, thread["id"], 2)) == 2, "small talk is no turn"


async def test_a_deleted_thread_is_no_conversation_any_more(start_bot: Any) -> None:
    h = await start_bot({"reply_mode": "thread"})
    thread, _ = await open_thread_on_peskov(h)
    await h.fake.delete_thread(thread["id"])
    await h.fake.wait_until(lambda: not h.bot.conversations.is_conversation(int(thread["id"])))
    assert h.bot.conversations.history(int(thread["id"])) == []


async def test_an_archived_bot_thread_still_gets_answers_also_after_a_restart(start_bot: Any) -> None:
    h = await start_bot({"reply_mode": "thread"})
    fake = h.fake
    thread, _ = await open_thread_on_peskov(h)
    tid = thread["id"]
    await fake.archive_thread(tid)
    await fake.wait_until(lambda: h.bot.get_channel(int(tid)) is None)  # discord.py forgot the archived thread
    follow = await fake.push_message("and what did Lavrov say?", channel_id=tid)
    reply = await h.reply_to(follow)
    assert LAVROV_FACT in embed_text(reply) and not thread["thread_metadata"]["archived"]
    await turns(h, tid, 2)
    updates = [p for c in fake.gateway_conns for p in c.sent if p.get("t") == "THREAD_UPDATE"]
    assert [u["d"]["thread_metadata"]["archived"] for u in updates] == [True, False], "Discord unarchives on send"

    # a restart: the new process learns from the database which threads are its own
    await fake.archive_thread(tid)
    await h.bot.close()
    await asyncio.wait_for(h.runner, 5)
    h2 = await start_bot({"reply_mode": "thread"}, fake=fake)
    assert h2.bot.get_channel(int(tid)) is None, "archived threads are not in GUILD_CREATE"
    again = await fake.push_message("when is he visiting Istanbul?", channel_id=tid)
    reply = await h2.reply_to(again)
    assert ISTANBUL_FACT in embed_text(reply) and "Read as a follow-up" in reply["embeds"][0]["footer"]["text"]
    assert len(await turns(h2, tid, 3)) == 3


async def test_a_thread_discord_refuses_to_open_becomes_a_reply(start_bot: Any) -> None:
    h = await start_bot({"reply_mode": "thread"})
    fake = h.fake
    fake.inject_error("POST", r"/messages/\d+/threads$", 403, code=50013, message="Missing Permissions")
    question = await fake.push_message(PESKOV_QUESTION, mention_bot=True)
    reply = await h.reply_to(question)
    assert PESKOV_FACT.search(embed_text(reply)) and reply["channel_id"] == fake.channel_id
    assert question["id"] not in fake.channels and not h.bot.conversations.is_conversation(int(question["id"]))


async def test_reply_mode_per_channel_as_the_server_config_says(start_bot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    h = await start_bot()
    fake = h.fake
    config = dataclasses.replace(ServerConfig(), channel_reply_modes={int(fake.other_channel_id): "thread"},
                                 cooldown_questions=0)
    monkeypatch.setattr(h.bot, "server_config", lambda guild_id: config)
    in_general = await fake.push_message(PESKOV_QUESTION, mention_bot=True)
    assert PESKOV_FACT.search(embed_text(await h.reply_to(in_general))), "the server's mode: reply"
    in_questions = await fake.push_message(PESKOV_QUESTION, channel_id=fake.other_channel_id, mention_bot=True)
    assert PESKOV_FACT.search(embed_text(await answer_in(h, in_questions["id"]))), "this channel's mode: thread"
    assert fake.channels[in_questions["id"]]["parent_id"] == fake.other_channel_id
    assert in_general["id"] not in fake.channels


# --------------------------------------------------------------------------- forum channels
async def test_a_forum_post_is_answered_in_the_post_and_followed_up(start_bot: Any) -> None:
    h = await start_bot(lambda fake: {"answer_channels": [int(fake.forum_channel_id)]})
    fake = h.fake
    thread, starter = await fake.push_forum_post("Black Sea grain corridor", "Which port did the first grain ship leave?")
    assert starter["id"] == thread["id"] and thread["parent_id"] == fake.forum_channel_id
    first = await h.reply_to(starter)
    assert first["channel_id"] == thread["id"], "answered in the post's own thread"
    assert first["embeds"][0]["title"] == "Black Sea grain corridor Which port did the first grain ship leave?"
    assert "left the port of Odesa" in embed_text(first)
    await turns(h, thread["id"], 1)
    follow = await fake.push_message("how much corn did it carry?", channel_id=thread["id"])
    assert "26,000 tonnes of corn" in embed_text(await h.reply_to(follow))
    history = await turns(h, thread["id"], 2)
    assert history[1].question == "how much corn did it carry?" and not history[1].opens_topic
    # a post whose title is the whole question
    titled, starter2 = await fake.push_forum_post("How long does the sourdough loaf bake?", "")
    assert "forty minutes" in embed_text(await h.reply_to(starter2))
    assert not fake.bot_messages(fake.forum_channel_id)


async def test_a_forum_that_is_not_an_answer_channel_is_left_alone(start_bot: Any) -> None:
    h = await start_bot()
    fake = h.fake
    _, ignored = await fake.push_forum_post("Grain corridor", "Which port did the first grain ship leave?")
    _, asked = await fake.push_forum_post("Sourdough", f"<@{fake.app_id}> How long does the loaf bake?")
    assert "forty minutes" in embed_text(await h.reply_to(asked)), "a mention is always answered"
    assert not h.replies_to(ignored)


async def test_the_question_reads_mentions_and_custom_emoji_as_people_see_them(start_bot: Any) -> None:
    h = await start_bot({"reply_mode": "thread"})
    fake = h.fake
    asked = await fake.push_message(f"<@{fake.human['id']}> asked: how long does the sourdough loaf bake? "
                                    "<:bread:123456789012345678>", mention_bot=True)
    answer = await answer_in(h, asked["id"])
    assert "forty minutes" in embed_text(answer)
    name = fake.channels[asked["id"]]["name"]
    assert name == "@Alice asked: how long does the sourdough loaf bake? :bread:", name
    assert answer["embeds"][0]["title"] == name, "the engine was asked the same text"


# --------------------------------------------------------------------------- the quiet rule
CHATTER = ("thanks!", "👍", "https://example.org/news/grain-corridor", "lol", "good morning everyone",
           "how are you?", "the grain corridor reopened today")


async def test_an_answer_channel_keeps_quiet_on_chatter_without_using_the_cooldown(start_bot: Any) -> None:
    h = await start_bot(lambda fake: {"answer_channels": [int(fake.other_channel_id)], "cooldown_questions": 2,
                                      "cooldown_seconds": 3600})
    fake = h.fake
    room = fake.other_channel_id
    chatter = [await fake.push_message(text, channel_id=room) for text in CHATTER]
    to_alice = await fake.push_message(f"<@{fake.human['id']}> when does the reading room close?", channel_id=room,
                                       author=fake.admin)
    question = await fake.push_message("When does the reading room close on Fridays?", channel_id=room)
    assert "nine in the evening" in embed_text(await h.reply_to(question))
    thanks = await fake.push_message("thanks!", channel_id=room, mention_bot=True)
    assert "don't cover" in (await h.reply_to(thanks))["content"], "a mention is always answered"
    assert all(not h.replies_to(m) for m in [*chatter, to_alice])
    # the chatter used none of the two questions of the window: a third question is refused
    third = await fake.push_message("How long does the sourdough loaf bake?", channel_id=room)
    assert re.search(r"try again in", (await h.reply_to(third))["content"])


async def test_a_reply_to_an_answer_is_read_by_the_quiet_rule(start_bot: Any) -> None:
    """Replying to the bot's answer pings it (Discord's default), but it is not a mention typed in the text:
    "thanks!" under an answer gets no "don't cover" and costs no question; a question replied there is
    answered."""
    h = await start_bot({"cooldown_questions": 2, "cooldown_seconds": 3600})
    fake = h.fake
    first = await fake.push_message("When does the reading room close on Fridays?", mention_bot=True)
    answer = await h.reply_to(first)
    thanks = await fake.push_message("thanks!", reply_to=answer)
    assert thanks["mentions"] and thanks["mentions"][0]["id"] == fake.app_id
    asked = await fake.push_message("and how long does the sourdough loaf bake?", reply_to=answer)
    assert "forty minutes" in embed_text(await h.reply_to(asked))
    assert not h.replies_to(thanks)
    third = await fake.push_message("Who mediated the talks?", mention_bot=True)
    assert "try again in" in (await h.reply_to(third))["content"], "two questions asked, the thanks not counted"


async def test_without_the_quiet_rule_every_message_is_answered(start_bot: Any) -> None:
    h = await start_bot(lambda fake: {"answer_channels": [int(fake.other_channel_id)], "quiet": False})
    thanks = await h.fake.push_message("thanks!", channel_id=h.fake.other_channel_id)
    assert "don't cover" in (await h.reply_to(thanks))["content"]
