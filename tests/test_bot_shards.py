"""End to end: two bot processes on different shards of one bot, sharing a PostgreSQL database and a data folder.

One fake Discord shards as Discord does: bot A runs shard 0 of 2, bot B shard 1 of 2, and each gets the
events of its own servers only. What they share is the PostgreSQL database (``DOCBOT_DATABASE_URL``, a real
server started by ``.ci/postgres.sh``) and the index on the data folder.

The first test runs the two real :class:`bot.client.DocBot` clients (``AutoShardedBot``) in separate Python
processes (``tests/shard_process.py``), configured by their environment as in production; the fake tells
them apart by their User-Agent. The second runs them in this test process (each with its own engine, stores
and caches), which lets it look inside B: B's memory of a server's settings is stale after A changed them,
until the version check B makes before any message or command of a server.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.bot_fixtures import PESKOV_FACT, PESKOV_QUESTION, BotDirs, BotHarness, embed_text
from tests.fake_discord import FakeDiscord

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.asyncio

NEW_DOC = ("lighthouse.txt", ("The Kallur lighthouse on Kalsoy was repainted orange in September by a crew of "
                             "eleven volunteers, the island council said.\n"))


def start_process(fake: FakeDiscord, dirs: BotDirs, tag: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DOCBOT_")}
    environment.update(env, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", DOCBOT_DATA_DIR=str(dirs.data_dir),
                       DOCBOT_DOCS_DIR=str(dirs.docs_dir), DOCBOT_DISCORD_TOKEN=fake.token,
                       DOCBOT_COOLDOWN_QUESTIONS="0")
    log = open(dirs.root / f"{tag}.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([sys.executable, "-m", "tests.shard_process", str(fake.port), fake.ca_file, tag],
                            cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)


@contextlib.asynccontextmanager
async def two_shard_processes(dirs: BotDirs, env: dict[str, str]) -> AsyncIterator[tuple[FakeDiscord, str, str]]:
    """A fake Discord of two shards with a server on each, and two bot processes (shard 0 and shard 1)
    configured by ``env``, once both have identified; yields the fake and the two servers' channels."""
    fake = await FakeDiscord(shards=2).start()
    guild_a = fake.add_guild("Shard zero", members=[fake.human], shard=(0, 2))
    guild_b = fake.add_guild("Shard one", members=[fake.human], shard=(1, 2))
    (channel_a,), (channel_b,) = guild_a["channel_ids"], guild_b["channel_ids"]
    shared = {"DOCBOT_SHARD_COUNT": "2", "DOCBOT_GUILD_IDS": f"{guild_a['id']},{guild_b['id']}", **env}
    processes = {tag: start_process(fake, dirs, tag, {**shared, "DOCBOT_SHARD_IDS": shard})
                 for tag, shard in (("process-A", "0"), ("process-B", "1"))}

    def identified() -> bool:
        for tag, proc in processes.items():
            if proc.poll() is not None:
                raise AssertionError(f"{tag} exited: {(dirs.root / f'{tag}.log').read_text()[-3000:]}")
        return sorted(c.shard for c in fake.gateway_conns if c.identified) == [(0, 2), (1, 2)]

    try:
        await fake.wait_until(identified, timeout=180)
        yield fake, channel_a, channel_b
    finally:
        for proc in processes.values():
            proc.terminate()
        for proc in processes.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        await fake.stop()


async def reindex_through_a_answered_by_b(harness: BotHarness, dirs: BotDirs, channel_a: str, channel_b: str) -> None:
    """A new document, a /reindex in process A's server, and the document in process B's next answer."""
    fake = harness.fake
    (dirs.docs_dir / NEW_DOC[0]).write_text(NEW_DOC[1])
    reindex = await harness.slash("reindex", user=fake.admin, channel_id=channel_a, timeout=300)
    assert "Added: `lighthouse.txt`" in embed_text(harness.reply(reindex))
    lighthouse = await fake.push_message("What colour was the Kallur lighthouse repainted?",
                                         channel_id=channel_b, mention_bot=True)
    assert "repainted orange" in embed_text(await harness.reply_to(lighthouse, timeout=120))
    assert senders(fake, channel_b) == {"process-B"} and senders(fake, channel_a) <= {"process-A"}


def senders(fake: FakeDiscord, channel_id: str) -> set[str]:
    """Which processes (by User-Agent tag) posted messages in a channel."""
    return {r["agent"].rsplit(" ", 1)[-1] for r in fake.requests
            if r["method"] == "POST" and r["path"] == f"/channels/{channel_id}/messages"}


async def test_two_bot_processes_on_two_shards(bot_dirs: BotDirs, postgres_url: str) -> None:
    async with two_shard_processes(bot_dirs, {"DOCBOT_DATABASE_URL": postgres_url}) as (fake, channel_a, channel_b):
        harness = BotHarness(fake, None, None, bot_dirs, None)  # type: ignore[arg-type] # the fake's side only
        # each process answers the questions of its own servers, and only those
        question = await fake.push_message(PESKOV_QUESTION, channel_id=channel_a, mention_bot=True)
        other = await fake.push_message(PESKOV_QUESTION, channel_id=channel_b, mention_bot=True)
        assert PESKOV_FACT.search(embed_text(await harness.reply_to(question, timeout=120)))
        assert PESKOV_FACT.search(embed_text(await harness.reply_to(other, timeout=120)))
        assert senders(fake, channel_a) == {"process-A"} and senders(fake, channel_b) == {"process-B"}
        assert len(harness.replies_to(question)) == 1 and len(harness.replies_to(other)) == 1

        # a re-index through A (a new document in the shared folder) is in B's next answer
        await reindex_through_a_answered_by_b(harness, bot_dirs, channel_a, channel_b)


def count_answers(bot: Any) -> list[str]:
    """The questions this bot answered (its own feedback store instance records each answer it sends)."""
    asked: list[str] = []
    record = bot.feedback.record_answer

    def counting(**kwargs: Any) -> int:
        asked.append(kwargs["question"])
        return record(**kwargs)

    bot.feedback.record_answer = counting
    return asked


async def test_two_processes_on_two_shards_share_the_database_and_the_index(start_bot: Any, postgres_url: str) -> None:
    fake = await FakeDiscord(shards=2).start()
    guild_a = fake.add_guild("Shard zero", members=[fake.human], shard=(0, 2))
    guild_b = fake.add_guild("Shard one", members=[fake.human], shard=(1, 2))
    (channel_a,), (channel_b,) = guild_a["channel_ids"], guild_b["channel_ids"]
    shared = {"shard_count": 2, "database_url": postgres_url, "guild_ids": [int(guild_a["id"]), int(guild_b["id"])]}
    a = await start_bot({**shared, "shard_ids": [0]}, fake=fake)
    b = await start_bot({**shared, "shard_ids": [1]}, fake=fake)
    assert sorted(c.shard for c in fake.gateway_conns if c.identified) == [(0, 2), (1, 2)], "IDENTIFY carries the shard"
    assert a.bot.get_guild(int(guild_a["id"])) and not a.bot.get_guild(int(guild_b["id"]))
    assert b.bot.get_guild(int(guild_b["id"])) and not b.bot.get_guild(int(guild_a["id"]))
    asked_a, asked_b = count_answers(a.bot), count_answers(b.bot)

    # a question in a server of shard 0 is answered by A only, one of shard 1 by B only
    question = await fake.push_message(PESKOV_QUESTION, channel_id=channel_a, mention_bot=True)
    assert PESKOV_FACT.search(embed_text(await a.reply_to(question)))
    other = await fake.push_message(PESKOV_QUESTION + " ", channel_id=channel_b, mention_bot=True)
    assert PESKOV_FACT.search(embed_text(await b.reply_to(other)))
    assert (asked_a, asked_b) == ([PESKOV_QUESTION], [PESKOV_QUESTION]), "each answered its own server's question"
    assert len(a.replies_to(question)) == 1 and len(b.replies_to(other)) == 1, "and nobody answered twice"
    # both answers are in the one shared database, whichever process wrote them
    assert a.bot.feedback.stats().questions == 2 and b.bot.feedback.stats().questions == 2

    # a /config change made through A: B, which read every server's settings when it started, applies it
    # after the version check it makes before any message or command of a server
    assert b.bot.server_config(int(guild_a["id"])).cooldown_questions == 0
    done = await a.slash("config cooldown", {"questions": 3}, user=fake.admin, channel_id=channel_a)
    assert "3" in embed_text(a.reply(done))
    assert a.bot.server_config(int(guild_a["id"])).cooldown_questions == 3
    assert b.bot.server_config(int(guild_a["id"])).cooldown_questions == 0, "B's memory is stale until it checks"
    await b.bot.refresh_server_config(int(guild_a["id"]))
    assert b.bot.server_config(int(guild_a["id"])) == a.bot.server_config(int(guild_a["id"]))
    assert b.bot.server_configs.history(int(guild_a["id"]))[0].user_id == int(fake.admin["id"])

    # a re-index published by A (a new document in the shared folder) is seen by B's next answer
    (a.dirs.docs_dir / NEW_DOC[0]).write_text(NEW_DOC[1])
    generation = b.bot.engine.generation.name
    reindex = await a.slash("reindex", user=fake.admin, channel_id=channel_a, timeout=300)
    assert "Added: `lighthouse.txt`" in embed_text(a.reply(reindex))
    lighthouse = await fake.push_message("What colour was the Kallur lighthouse repainted?", channel_id=channel_b,
                                         mention_bot=True)
    reply = embed_text(await b.reply_to(lighthouse))
    assert "repainted orange" in reply and asked_b[-1].startswith("What colour")
    assert b.bot.engine.generation.name != generation, "B loaded the generation A published"


async def test_two_bot_processes_share_one_milvus_server(bot_dirs: BotDirs, postgres_url: str, milvus_server: str,
                                                         tmp_path: Path) -> None:
    """DOCBOT_STORE=milvus: two processes answer from one `milvus-lite server` (as from a Milvus cluster) with no
    index files of their own; a /reindex by one (under the PostgreSQL advisory lock) is answered from by the other."""
    from embeddings import Engine, EngineSettings

    milvus = {"DOCBOT_STORE": "milvus", "DOCBOT_MILVUS_URI": milvus_server}
    # Fresh data folders without any local index: only the model's ONNX export (a cache, not the index).
    data = tmp_path / "milvus-data"
    data.mkdir()
    if (bot_dirs.data_dir / "onnx").exists():
        (data / "onnx").symlink_to((bot_dirs.data_dir / "onnx").resolve(), target_is_directory=True)
    dirs = BotDirs(bot_dirs.root, bot_dirs.docs_dir, data)
    built = Engine(EngineSettings(_env_file=None, data_dir=data, docs_dir=dirs.docs_dir, store="milvus",
                                  milvus_uri=milvus_server)).index()  # as `docbot index` would, before the bots start
    assert built.published and not (data / "generations").exists()

    env = {"DOCBOT_DATABASE_URL": postgres_url, **milvus}
    async with two_shard_processes(dirs, env) as (fake, channel_a, channel_b):
        harness = BotHarness(fake, None, None, dirs, None)  # type: ignore[arg-type] # the fake's side only
        question = await fake.push_message(PESKOV_QUESTION, channel_id=channel_b, mention_bot=True)
        assert PESKOV_FACT.search(embed_text(await harness.reply_to(question, timeout=120)))

        await reindex_through_a_answered_by_b(harness, dirs, channel_a, channel_b)
        assert not (data / "generations").exists() and not (data / "CURRENT").exists()
