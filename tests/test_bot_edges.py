"""End to end, the edges of everyday use: what the bot says when input is odd, Discord is busy, or a
command arrives where it does not belong.

Same harness as ``test_bot_e2e``: the real discord.py client against ``tests.fake_discord`` and a real
index. The fixture also fails a test when Discord would have refused any request the bot made (a message
over its limits is refused whole, and the user sees "The application did not respond").
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

import pytest

from bot import errors as bot_errors
from bot.cogs import admin as admin_cog
from embeddings.models import IndexProgress, IndexReport
from tests.bot_fixtures import (
    EPHEMERAL,
    PESKOV_FACT,
    PESKOV_QUESTION,
    PROGRESS_LINE,
    SEED_ID,
    current_generation,
    embed_text,
)

pytestmark = pytest.mark.slow

#: What someone gets by pasting a paragraph into a document option (Discord allows 6,000 characters).
PASTED = "x" * 3000


# --------------------------------------------------------------------------- texts within Discord's limits
async def test_a_pasted_document_name_gets_a_short_no_such_document(start_bot: Any) -> None:
    h = await start_bot()
    for options in ({"document": PASTED}, {"document": PASTED, "passage": 3}):
        record = await h.slash("source", options)
        text = record["original"]["content"]
        assert "no document" in text and len(text) <= 400, text[:200]
        assert record["original"]["flags"] & EPHEMERAL
        assert text.rstrip().endswith("in the index (see /sources)"), "the end of the sentence survives"


async def test_removing_a_pasted_document_name_says_no_such_document(start_bot: Any) -> None:
    h = await start_bot()
    record = await h.slash("remove-document", {"document": PASTED}, user=h.fake.admin)
    text = record["original"]["content"]
    assert "no document" in text and len(text) <= 400, text[:200]
    assert "Something went wrong" not in text
    assert not h.engine.reindexing


# --------------------------------------------------------------------------- /reindex progress
async def test_reindex_progress_shows_each_stage_at_a_steady_pace(start_bot: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Each stage shows its own counter; the message moves on a timer while the engine is silent, and a
    burst of callbacks (one per embedded batch) costs no extra edits."""
    interval = 0.3
    monkeypatch.setattr(admin_cog, "PROGRESS_INTERVAL", interval)
    h = await start_bot()
    steps = [
        (IndexProgress(stage="scan", documents_done=200, documents_total=450), "reading documents 200/450 (44%)"),
        (IndexProgress(stage="embed", documents_total=450, chunks_done=1200, chunks_total=1200),
         "embedding passages 1,200/1,200 (100%)"),
        (IndexProgress(stage="write", documents_done=450, documents_total=450, chunks_done=1200,
                       chunks_total=1200), "writing the index (1,200 passages of 450 documents)"),
    ]
    go = [threading.Event() for _ in steps]

    def scripted_reindex(*args: Any, progress: Any = None, **kwargs: Any) -> IndexReport:
        progress(IndexProgress(stage="scan", documents_total=450))
        for (step, _), event in zip(steps, go):
            if step.stage == "embed":  # the encoder reports every batch: thousands of calls in a blink
                for done in range(1200):
                    progress(IndexProgress(stage="embed", documents_total=450, chunks_done=done, chunks_total=1200))
            progress(step)
            event.wait(60)
        return IndexReport(added=["new.txt"], unchanged=449, chunks_embedded=1200, chunks_total=9000,
                           documents_total=450, seconds=4.2, published=True)

    monkeypatch.setattr(h.engine, "reindex", scripted_reindex)
    iid = await h.fake.push_slash_command("reindex", user=h.fake.admin)
    record = h.fake.interactions[iid]

    def contents() -> list[str]:
        return [e["message"]["content"] for e in record["edits"]]

    try:
        for (_, expected), event in zip(steps, go):
            await h.fake.wait_until(lambda: any(expected in c for c in contents()), timeout=30)
            # the engine is silent until the test lets it go on: the message keeps moving meanwhile
            seen = len(contents())
            await h.fake.wait_until(lambda: len(contents()) >= seen + 2, timeout=30)
            event.set()
    finally:
        for event in go:
            event.set()
    await h.fake.wait_until(lambda: contents()[-1].startswith("✅"), timeout=30)

    progress = contents()[:-1]
    assert all(PROGRESS_LINE.match(p) for p in progress), progress
    assert progress[0].startswith("⏳ Re-indexing: "), "the first edit replaces 'thinking…' at once"
    clock = [int(re.search(r"(\d+) s$", p).group(1)) for p in progress]
    assert clock == sorted(clock) and clock[-1] >= 1
    times = [r["t"] for r in h.fake.requests if r["method"] == "PATCH" and iid in r["path"]][:-1]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert min(gaps) >= 0.9 * interval, "never faster than the interval"
    assert len(times) <= (times[-1] - times[0]) / interval + 2, "one edit per interval, not one per callback"
    assert "1 added, 0 changed, 0 removed, 449 unchanged" in contents()[-1]


# --------------------------------------------------------------------------- where commands belong
@pytest.mark.parametrize("dm_user_is_admin", [False, True])
async def test_admin_command_from_a_dm_only_works_in_a_server(start_bot: Any, dm_user_is_admin: bool) -> None:
    # Global commands, so that a DM can reach them at all; the DM channel is alice's.
    h = await start_bot(lambda fake: {"guild_ids": [],
                                      "admin_user_ids": [int(fake.human["id"])] if dm_user_is_admin else []})
    fake = h.fake
    generation = current_generation(h)
    for name, options in (("reindex", None), ("stats", None), ("remove-document", {"document": SEED_ID})):
        record = await h.slash(name, options, channel_id=fake.dm_channel_id, stale_client=True)
        text = record["original"]["content"]
        assert "only works in a server" in text and "for admins" not in text, (name, text)
        assert record["original"]["flags"] & EPHEMERAL
    iid = await fake.push_autocomplete("remove-document", {"document": "grain"}, "document",
                                       channel_id=fake.dm_channel_id, stale_client=True)
    assert await fake.wait_until(lambda: fake.interactions[iid]["autocomplete_choices"] is not None)
    assert fake.interactions[iid]["autocomplete_choices"] == []
    assert current_generation(h) == generation and (h.dirs.docs_dir / SEED_ID).exists(), "nothing changed"


async def test_admin_autocomplete_suggests_nothing_to_non_admins(start_bot: Any) -> None:
    h = await start_bot(lambda fake: {"admin_role_ids": [int(fake.mod_role_id)]})
    fake = h.fake
    suggested = {}
    for user in (fake.human, fake.moderator, fake.admin):
        iid = await fake.push_autocomplete("remove-document", {"document": "grain"}, "document", user=user)
        await fake.wait_until(lambda: fake.interactions[iid]["autocomplete_choices"] is not None)
        suggested[user["username"]] = [c["value"] for c in fake.interactions[iid]["autocomplete_choices"]]
    assert suggested == {"alice": [], "carol": ["grain_corridor.txt"], "bob": ["grain_corridor.txt"]}
    # the public /source autocomplete still serves everyone
    iid = await fake.push_autocomplete("source", {"document": "grain"}, "document", user=fake.human)
    choices = await fake.wait_until(lambda: fake.interactions[iid]["autocomplete_choices"])
    assert choices[0]["value"] == "grain_corridor.txt"


# --------------------------------------------------------------------------- Discord refusing for now
def _posts(fake: Any, path: str) -> list[dict[str, Any]]:
    return [r for r in fake.requests if r["method"] == "POST" and re.search(path, r["path"])]


async def test_a_reply_discord_keeps_rate_limiting_is_sent_again_later(start_bot: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot_errors, "REDELIVERY_DELAY", 0.3)
    h = await start_bot()
    fake = h.fake
    messages = rf"^/channels/{fake.channel_id}/messages$"
    fake.inject_rate_limit("POST", messages, retry_after=0.01, count=5)  # all five of discord.py's tries
    reply = await h.reply_to(await fake.push_message(PESKOV_QUESTION, mention_bot=True))
    assert PESKOV_FACT.search(embed_text(reply))
    posts = _posts(fake, messages)
    assert [r["status"] for r in posts] == [429] * 5 + [200]
    assert posts[-1]["t"] - posts[-2]["t"] >= 0.3, "tried again later, not at once"
    assert len(fake.bot_messages()) == 1, "the answer and nothing else ('Something went wrong')"

    # /ask: the followup that replaces "thinking…"
    followups = r"^/webhooks/\d+/[^/]+$"
    fake.inject_rate_limit("POST", followups, retry_after=0.01, count=5)
    record = await h.slash("ask", {"question": "How many tonnes of corn did the Razoni carry?"})
    assert "26,000 tonnes of corn" in embed_text(record["original"])
    assert [r["status"] for r in _posts(fake, followups)] == [429] * 5 + [200]


async def test_a_reply_that_cannot_be_delivered_is_logged_with_the_question(
        start_bot: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(bot_errors, "REDELIVERY_DELAY", 0.1)
    h = await start_bot()
    fake = h.fake
    messages = rf"^/channels/{fake.channel_id}/messages$"
    fake.inject_rate_limit("POST", messages, retry_after=0.01, count=10)  # two rounds of five tries
    with caplog.at_level(logging.WARNING, logger="bot"):
        await fake.push_message(PESKOV_QUESTION, mention_bot=True)
        lost = await fake.wait_until(lambda: [r for r in caplog.records if "could not deliver" in r.getMessage()],
                                     timeout=30)
    assert len(lost) == 1 and lost[0].levelno == logging.ERROR and PESKOV_QUESTION in lost[0].getMessage()
    assert len(_posts(fake, messages)) == 10 and not fake.bot_messages(), "no 'Something went wrong' either"
    # once Discord takes messages again, questions are answered as usual
    reply = await h.reply_to(await fake.push_message(PESKOV_QUESTION, mention_bot=True))
    assert PESKOV_FACT.search(embed_text(reply))


async def test_a_rate_limited_reindex_summary_is_delivered_later(start_bot: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot_errors, "REDELIVERY_DELAY", 0.2)
    monkeypatch.setattr(admin_cog, "PROGRESS_INTERVAL", 60)  # one progress edit, then only the summary
    h = await start_bot()
    fake = h.fake
    release = h.hold_reindex(monkeypatch)
    try:
        iid = await fake.push_slash_command("reindex", user=fake.admin)
        record = fake.interactions[iid]
        await fake.wait_until(lambda: record["edits"])
        edits = rf"^/webhooks/\d+/{record['token']}/messages/@original$"
        fake.inject_rate_limit("PATCH", edits, retry_after=0.01, count=5)
    finally:
        release.set()
    await fake.wait_until(lambda: record["edits"][-1]["message"]["content"].startswith("✅"), timeout=30)
    statuses = [r["status"] for r in fake.requests if r["method"] == "PATCH" and re.search(edits, r["path"])]
    assert statuses == [200] + [429] * 5 + [200]
    assert "0 added, 0 changed, 0 removed, 5 unchanged" in record["edits"][-1]["message"]["content"]


# --------------------------------------------------------------------------- logs
@pytest.fixture
def debug_logging(caplog: pytest.LogCaptureFixture) -> Any:
    """Logging as ``DOCBOT_LOG_LEVEL=DEBUG`` configures it (captured by caplog); put back afterwards."""
    from bot.__main__ import SECRET_LOGGERS, configure_logging

    root = logging.getLogger()
    handlers, levels = list(root.handlers), {name: logging.getLogger(name).level for name in SECRET_LOGGERS}
    caplog.set_level(logging.DEBUG)
    configure_logging("DEBUG")
    yield caplog
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


async def test_interaction_tokens_never_reach_the_log_at_debug(start_bot: Any, debug_logging: Any) -> None:
    h = await start_bot()
    asked = await h.slash("ask", {"question": PESKOV_QUESTION})  # gateway event, callback, followup
    reindexed = await h.slash("reindex", user=h.fake.admin)  # webhook edits
    records = debug_logging.records
    assert any(r.name.startswith("discord.") and r.levelno == logging.DEBUG for r in records), "discord.py logs DEBUG"
    for token in (asked["token"], reindexed["token"], h.fake.token):
        assert token not in debug_logging.text


# --------------------------------------------------------------------------- requests the engine refuses
async def test_blank_questions_and_searches_get_a_one_line_refusal(start_bot: Any) -> None:
    h = await start_bot()
    for name, options in (("search", {"query": "   "}), ("ask", {"question": " \t "})):
        record = await h.slash(name, options)
        reply = h.reply(record)
        assert reply["content"].startswith("✋ Refused: the question is empty") and "\n" not in reply["content"]
        assert reply["flags"] & EPHEMERAL, "refusals are for the asker only, even after /ask's public 'thinking…'"
    assert not h.fake.bot_messages(), "nothing was left in the channel"
