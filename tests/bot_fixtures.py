"""Fixtures for the Discord bot's tests: a real index of a small documents folder, and a real bot on a fake Discord.

* ``bot_index_template`` (session): the seeds plus a few test documents, indexed once with the real engine
  (through ``bot.__main__.update_index``, the code ``python -m bot`` runs at start).
* ``bot_dirs``: per-test copies of that documents folder and data folder, so tests that add, remove or
  re-index documents never see each other's changes.
* ``start_bot``: a factory that starts a :class:`tests.fake_discord.FakeDiscord`, builds ``BotSettings`` for
  it and runs the unmodified ``DocBot`` with ``bot.start(token)`` until it is ready. Everything it started
  is closed at the end of the test, after checking that no message the bot sent could have pinged anyone
  and that Discord would have refused none of its requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import os
import shutil
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bot.client import DocBot  # noqa: E402
from bot.settings import BotSettings  # noqa: E402
from tests.fake_discord import FakeDiscord  # noqa: E402

#: Only the fixtures are exported to conftest.py (``from tests.bot_fixtures import *``).
__all__ = ["bot_index_template", "bot_dirs", "start_bot"]

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

#: Small documents with facts no other document has, so a test knows which source must be cited.
TEST_DOCS: dict[str, str] = {
    "grain_corridor.txt": (
        "Black Sea grain corridor reopens as first ship leaves Odesa\n"
        "20220801\n"
        "https://example.org/news/grain-corridor\n"
        "The Razoni, a Sierra Leone-flagged cargo ship, left the port of Odesa on Monday carrying 26,000 tonnes "
        "of corn bound for Tripoli in Lebanon. It was the first grain shipment to leave Ukraine by sea since the "
        "invasion began in February.\n"
        "The voyage was made possible by a deal brokered by Turkey and the United Nations in Istanbul. A joint "
        "coordination centre in Istanbul inspects every vessel that uses the corridor.\n"
        "Ukrainian officials said they hoped to export 20 million tonnes of grain held in silos before the next "
        "harvest.\n"
    ),
    "library_notice.md": (
        "# Reading room notice\n\n"
        "Attention @everyone: the reading room of the municipal library now closes at nine in the evening on "
        "Fridays. Ask <@&123> for the key to the rare books archive. Borrowed atlases must be returned to the "
        "front desk within fourteen days, and overdue atlases cost fifty cents a day.\n"
    ),
    "volcano.txt": (
        "Undersea volcano eruption near Tonga sends tsunami across the Pacific\n"
        "20220115\n"
        "https://example.org/news/tonga-volcano\n"
        "The Hunga Tonga-Hunga Ha'apai volcano erupted on Saturday, sending an ash plume 20 kilometres into the "
        "sky and tsunami waves across the Pacific Ocean. The shock wave circled the globe several times and was "
        "recorded by barometers as far away as Britain.\n"
        "Communications with Tonga were cut because the *only* undersea internet cable was severed.\n"
    ),
    "sourdough.md": (
        "# Sourdough notes\n\n"
        "A sourdough starter is fed with equal weights of flour and water every day. The dough proofs overnight "
        "in the refrigerator, and the loaf bakes for **forty minutes** in a covered cast iron pot at 250 degrees "
        "Celsius (the oven's `bake` setting) before the lid comes off, as the "
        "[baking guide](https://example.org/baking) explains.\n"
    ),
}

#: A document that is not indexed at first: tests add it and check that it becomes answerable.
LIGHTHOUSE_NAME = "lighthouse.txt"
LIGHTHOUSE = (
    "Fastnet lighthouse keeper retires after forty years\n"
    "20220910\n"
    "https://example.org/news/fastnet-keeper\n"
    "Brendan O'Driscoll, the last keeper of the Fastnet lighthouse off the coast of County Cork, retired on "
    "Friday after forty years of service. The lighthouse, built of Cornish granite in 1904, is known as "
    "Ireland's Teardrop because it was the last sight of home for emigrants sailing to America.\n"
)
LIGHTHOUSE_QUESTION = "Who was the keeper of the Fastnet lighthouse and when did he retire?"


#: The seed document (a news article) that every answer about Peskov must cite.
SEED_ID = "000_aa59c3a3474d19f0.txt"
SEED_TITLE = "Russia Holds Firm on Opposition to PutinZelenskyy Negotiations"
SEED_URL = "https://nationalinterest.org/blog/buzz/russia-holds-firm-opposition-putin-zelenskyy-negotiations-202755"
PESKOV_QUESTION = "What did Peskov say about a meeting between Putin and Zelenskyy?"
#: The fact the seed states (in two sentences, either may be quoted): what a right answer must contain.
PESKOV_FACT = re.compile(r"meet (only )?to finalize a certain document")
#: A re-index progress line (``bot.render.render_progress``): it ends with the seconds elapsed.
PROGRESS_LINE = re.compile(r"⏳ .+ · \d+ s$")
#: Discord's EPHEMERAL message flag.
EPHEMERAL = 64
#: How long a test waits for a reply before it fails. A passing wait returns as soon as the reply is
#: there; this only has to outlast a question answered on a 2-core machine that several test runs and
#: benchmarks share (a 60 s limit was once overrun there).
REPLY_TIMEOUT = 180.0


# --------------------------------------------------------------------------- reading what the bot sent
def embed_text(message: dict[str, Any]) -> str:
    """Everything a person reads in a message: content, embed titles, descriptions and fields."""
    parts = [message.get("content") or ""]
    for e in message.get("embeds") or []:
        parts += [e.get("title", ""), e.get("description", ""), (e.get("footer") or {}).get("text", "")]
        parts += [f"{f['name']}\n{f['value']}" for f in e.get("fields", [])]
    return "\n".join(parts)


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for row in message.get("components") or [] for c in row.get("components", [])
            if "custom_id" in c]


def sources_listed(message: dict[str, Any]) -> list[str]:
    """The ``[n] Title (date) <url>`` lines of an answer."""
    return [line for e in message.get("embeds") or [] for f in e.get("fields", []) if f["name"].startswith("Sources")
            for line in f["value"].splitlines()]


def current_generation(harness: Any) -> str:
    return (harness.dirs.data_dir / "CURRENT").read_text()


def docs_snapshot(harness: Any) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(harness.dirs.docs_dir.iterdir())}


async def assert_uploads_refused(harness: Any, cases: list[tuple[tuple[Any, ...], str]]) -> None:
    """Each ``((filename, bytes, content type), reason)`` upload is refused, only to the admin, with its
    reason; the index and the documents folder stay as they were."""
    generation, docs = current_generation(harness), docs_snapshot(harness)
    for spec, reason in cases:
        record = await harness.slash("add-document", user=harness.fake.admin, attachments={"file": spec})
        text = record["original"]["content"]
        assert text.startswith("⛔ Refused") and reason in text and "Nothing was changed" in text, text
        assert record["original"]["flags"] & EPHEMERAL
    assert current_generation(harness) == generation and docs_snapshot(harness) == docs


def _settings(data_dir: Path, docs_dir: Path, **overrides: Any) -> BotSettings:
    # _env_file=None: a developer's .env must never leak into the tests.
    return BotSettings(_env_file=None, data_dir=data_dir, docs_dir=docs_dir, **overrides)


@pytest.fixture(scope="session")
def bot_index_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real index of the seeds and the test documents, built the way ``python -m bot`` builds it."""
    from bot.__main__ import update_index
    from embeddings import Engine

    root = tmp_path_factory.mktemp("bot-index")
    docs = root / "docs"
    docs.mkdir()
    for seed in sorted(SEEDS.glob("*.txt")):
        shutil.copyfile(seed, docs / seed.name)
    for name, text in TEST_DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    settings = _settings(root / "data", docs)
    engine = Engine(settings)
    update_index(engine, settings)
    assert engine.is_loaded
    return root


@dataclass(frozen=True)
class BotDirs:
    root: Path
    docs_dir: Path
    data_dir: Path


@pytest.fixture
def bot_dirs(bot_index_template: Path, tmp_path: Path) -> BotDirs:
    """Private copies of the documents and the index for one test (the ONNX export is shared read-only)."""
    docs = tmp_path / "docs"
    data = tmp_path / "data"
    shutil.copytree(bot_index_template / "docs", docs)
    shutil.copytree(bot_index_template / "data", data, ignore=shutil.ignore_patterns("onnx", "reindex.lock"))
    if (bot_index_template / "data" / "onnx").exists():
        (data / "onnx").symlink_to(bot_index_template / "data" / "onnx", target_is_directory=True)
    return BotDirs(tmp_path, docs, data)


@dataclass
class BotHarness:
    """A running bot, the fake it talks to, and handy shortcuts for the tests."""

    fake: FakeDiscord
    bot: DocBot
    settings: BotSettings
    dirs: BotDirs
    runner: asyncio.Task[None]

    @property
    def engine(self) -> Any:
        return self.bot.engine

    def replies_to(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        """The bot's messages that reply to ``message`` (in its channel)."""
        return [
            m for m in self.fake.bot_messages(message["channel_id"])
            if (m.get("message_reference") or {}).get("message_id") == message["id"]
        ]

    async def reply_to(self, message: dict[str, Any], timeout: float = REPLY_TIMEOUT) -> dict[str, Any]:
        replies = await self.fake.wait_until(lambda: self.replies_to(message), timeout=timeout)
        return replies[0]

    async def slash(self, name: str, options: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        """Run a slash command and wait until the bot has finished with it; returns the interaction record.

        Finished means: responded, no longer "thinking...", and not showing re-index progress (``⏳ … · N s``).
        """
        timeout = kwargs.pop("timeout", REPLY_TIMEOUT)
        iid = await self.fake.push_slash_command(name, options, **kwargs)
        record = self.fake.interactions[iid]
        await self.fake.wait_until(lambda: self.finished(record), timeout=timeout)
        return record

    async def message_command(self, message: dict[str, Any], name: str = "Ask about this message",
                              **kwargs: Any) -> dict[str, Any]:
        """Use a message context-menu command on ``message`` and wait until the bot has finished with it, as
        :meth:`slash` does; returns the interaction record."""
        timeout = kwargs.pop("timeout", REPLY_TIMEOUT)
        iid = await self.fake.push_message_command(name, message, **kwargs)
        record = self.fake.interactions[iid]
        await self.fake.wait_until(lambda: self.finished(record), timeout=timeout)
        return record

    def hold_reindex(self, monkeypatch: pytest.MonkeyPatch, at: str | None = None) -> threading.Event:
        """Make the engine's re-index wait in its worker thread until the returned event is set: before it
        starts, or once it reports stage ``at`` ("scan", "embed", "write"). The test folder indexes in a
        blink; this stands for a big one, without guessing how long anything takes. Set the event in a
        ``finally``, or a failing test leaves the thread waiting (60 s at most)."""
        release = threading.Event()
        real_reindex = self.engine.reindex

        def held_reindex(*args: Any, progress: Any = None, **kwargs: Any) -> Any:
            def report(p: Any) -> None:
                progress(p)
                if p.stage == at:
                    release.wait(60)

            if at is None:
                release.wait(60)
            return real_reindex(*args, progress=report if progress else None, **kwargs)

        monkeypatch.setattr(self.engine, "reindex", held_reindex)
        return release

    def finished(self, record: dict[str, Any]) -> bool:
        original = record.get("original")
        if original is not None and self.fake.get_message(original["id"]) is None:
            return bool(record["followups"])  # the placeholder was deleted: the reply is a followup
        if not record["callbacks"] or original is None or original.get("flags", 0) & 128:
            return False
        return not PROGRESS_LINE.match(original.get("content") or "")

    def reply(self, record: dict[str, Any]) -> dict[str, Any]:
        """What the user ends up seeing for a slash command: the response, or the followup that replaced
        a deleted "thinking…" placeholder."""
        original = record["original"]
        return original if self.fake.get_message(original["id"]) is not None else record["followups"][-1]

    def sent_payloads(self) -> list[dict[str, Any]]:
        """Every message body the bot sent or edited (messages, callbacks, followups, webhook edits)."""
        bodies = []
        for r in self.fake.requests:
            body = r.get("json")
            if not isinstance(body, dict) or r["method"] not in ("POST", "PATCH"):
                continue
            if r["path"].endswith("/callback"):
                body = body.get("data") or {}
            if "content" in body or "embeds" in body:
                bodies.append(body)
        return bodies


async def _stop(harness: BotHarness) -> None:
    with contextlib.suppress(Exception):
        await harness.bot.close()
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await asyncio.wait_for(harness.runner, 5)
    await harness.fake.stop()


@pytest_asyncio.fixture
async def start_bot(bot_dirs: BotDirs) -> AsyncIterator[Callable[..., Any]]:
    """``await start_bot(settings_overrides, heartbeat_interval_ms=...)`` -> a ready :class:`BotHarness`.

    ``settings_overrides`` is a dict or a function of the fake (for world ids such as channels and roles).
    By default commands sync to the fake guild, the cooldown is off and source look-ups are ephemeral.
    """
    from embeddings import Engine

    started: list[BotHarness] = []

    async def _start(
        overrides: dict[str, Any] | Callable[[FakeDiscord], dict[str, Any]] | None = None,
        *,
        heartbeat_interval_ms: int = 41250,
        fake: FakeDiscord | None = None,
    ) -> BotHarness:
        if fake is None:
            fake = await FakeDiscord(heartbeat_interval_ms=heartbeat_interval_ms).start()
        values: dict[str, Any] = {"discord_token": fake.token, "guild_ids": [int(fake.guild_id)], "cooldown_questions": 0,
                                  "feedback_db": bot_dirs.root / "feedback.sqlite3"}
        values.update(overrides(fake) if callable(overrides) else (overrides or {}))
        settings = _settings(bot_dirs.data_dir, bot_dirs.docs_dir, **values)
        bot = DocBot(settings, Engine(settings), guild_ready_timeout=0.05, **fake.client_kwargs())
        runner = asyncio.create_task(bot.start(settings.discord_token.get_secret_value()), name="docbot")
        harness = BotHarness(fake, bot, settings, bot_dirs, runner)
        started.append(harness)
        await fake.wait_bot_ready(bot, runner, timeout=60)
        return harness

    yield _start

    problems = []
    for harness in started:
        for body in harness.sent_payloads():
            if body.get("allowed_mentions") != {"parse": []}:
                problems.append(body)
        problems += [f"fake error: {e}" for e in harness.fake.errors]
        # Discord refuses a message that breaks its limits (400, 50035) and the user sees nothing: no
        # request the bot made may have been refused that way, whatever the test did.
        problems += [f"refused by Discord: {r['method']} {r['path']}: {r.get('error')}" for r in harness.fake.requests
                     if r.get("status") == 400 and not r.get("injected")]
    for harness in reversed(started):
        await _stop(harness)
    assert not problems, f"messages sent without allowed_mentions none, refused, or fake errors: {problems[:3]}"
