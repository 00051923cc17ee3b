"""Start the Discord bot (``python -m bot``, ``docbot-discord``, ``make run``).

Reads the one settings object, opens the engine and brings the index up to date with the documents
folder (incremental: nothing is embedded when nothing changed), then connects to Discord. Without a
token it says so in one line and opens the terminal chat instead, so a fresh checkout can be tried
before a bot is registered.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import TYPE_CHECKING

import discord
from tqdm import tqdm

from bot.settings import BotSettings
from embeddings.errors import EngineError
from embeddings.models import IndexProgress

if TYPE_CHECKING:
    from embeddings import Engine

log = logging.getLogger("bot")


def configure_logging(level: str) -> None:
    """discord.py's formatter for everything (engine included); the token never appears in records."""
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    discord.utils.setup_logging(level=numeric, root=True)
    # discord.http logs request bodies at DEBUG only; keep it quieter than ours even then.
    logging.getLogger("discord.http").setLevel(max(logging.INFO, logging.getLogger().level))


def update_index(engine: Engine, settings: BotSettings) -> None:
    """Index ``docs_dir`` if the index is missing or stale, with a progress bar on the terminal."""
    bar = tqdm(total=0, unit="passage", desc="Indexing", disable=None, leave=False)

    def progress(p: IndexProgress) -> None:
        bar.total = p.chunks_total
        bar.n = p.chunks_done
        bar.set_postfix_str(f"{p.stage} · documents {p.documents_done}/{p.documents_total}", refresh=False)
        bar.refresh()

    try:
        report = engine.reindex(progress=progress)
    finally:
        bar.close()
    log.info(
        "index of %s: %d added, %d changed, %d removed, %d unchanged, %d passages embedded in %.1f s",
        settings.docs_dir,
        len(report.added),
        len(report.changed),
        len(report.removed),
        report.unchanged,
        report.chunks_embedded,
        report.seconds,
    )
    for skipped in report.skipped:
        log.warning("skipped %s", skipped)
    if not engine.is_loaded:
        engine.load()


async def run_bot(settings: BotSettings, engine: Engine) -> None:
    from bot.client import DocBot

    assert settings.discord_token is not None
    async with DocBot(settings, engine) as bot:
        await bot.start(settings.discord_token.get_secret_value())


def main() -> int:
    """Entry point; returns the process exit status."""
    settings = BotSettings()
    configure_logging(settings.log_level)
    from embeddings import Engine

    engine = Engine(settings)
    try:
        update_index(engine, settings)
    except EngineError as exc:
        log.error("cannot prepare the index: %s", exc)
        return 1
    if settings.discord_token is None or not settings.discord_token.get_secret_value().strip():
        log.warning("no DOCBOT_DISCORD_TOKEN is set: starting the terminal chat instead of the Discord bot")
        from embeddings.cli import chat

        return chat(engine)
    try:
        asyncio.run(run_bot(settings, engine))
    except KeyboardInterrupt:
        log.info("stopped")
    except discord.LoginFailure:
        log.error("Discord refused the token (DOCBOT_DISCORD_TOKEN): check it in the developer portal")
        return 1
    except discord.PrivilegedIntentsRequired:
        log.error("enable the Message Content intent for the bot in the Discord developer portal")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
