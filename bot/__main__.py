"""Start the Discord bot (``python -m bot``, ``docbot-discord``, ``make run``).

Reads the one settings object, opens the engine and brings the index up to date with its sources (a new
index starts from the documents folder; incremental: nothing is embedded when nothing changed), then
connects to Discord. A source that is missing, or an update the removal guard refuses, is logged and the
bot starts with the index as it is. Without a
token it says so in one line and opens the terminal chat instead, so a fresh checkout can be tried
before a bot is registered.

``--help`` and ``--version`` answer before anything else happens (no settings read, no ./data made).
A bad setting is reported in one line per variable (exit 2), and Ctrl-C or an engine error while the
index is prepared or in the terminal chat ends in one line, as in ``docbot``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import TYPE_CHECKING

import aiohttp
import discord
from pydantic import ValidationError

from bot.database import DatabaseUnavailable
from bot.settings import BotSettings
from embeddings.cli import (check_data_dir, check_model, forget_new_data_dir, index_with_progress, package_version,
                           run_reporting, settings_file_error)
from embeddings.errors import IndexNotFound, PathNotFound, ReindexInProgress, RemovalRefused
from embeddings.settings import describe_invalid, unknown_variables

if TYPE_CHECKING:
    from embeddings import Engine

log = logging.getLogger("bot")


#: discord.py loggers whose DEBUG records carry secrets: request URLs and bodies (discord.http), webhook URLs
#: (discord.webhook: followups and edits) and every gateway payload (discord.gateway: INTERACTION_CREATE).
#: An interaction token in a URL lets anyone answer as the bot for 15 minutes.
SECRET_LOGGERS = ("discord.http", "discord.webhook", "discord.gateway")


def configure_logging(level: str) -> None:
    """discord.py's formatter for everything (engine included); no token ever appears in records.

    At ``DOCBOT_LOG_LEVEL=DEBUG`` the loggers in ``SECRET_LOGGERS`` stay at INFO: their warnings (rate
    limits, reconnects) still show, their payload dumps do not.
    """
    numeric = logging.getLevelNamesMapping()[level.upper()]  # one of BotSettings.log_level's names
    discord.utils.setup_logging(level=numeric, root=True)
    for name in SECRET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLogger().level))


def update_index(engine: Engine, settings: BotSettings) -> None:
    """Update every source of the index (a new one: ``docs_dir``), with a progress bar on a terminal.

    A refusal (a source that does not exist, more than half of the index about to be removed) is logged and
    the bot goes on with the index as it is: the admins can fix the sources and run /reindex.
    """
    try:
        report = index_with_progress(engine, None, show=sys.stderr.isatty())
    except (PathNotFound, RemovalRefused, ReindexInProgress) as exc:
        # ReindexInProgress: another process of the deployment (a shard started at the same time) is updating
        # the shared index; this one answers from the published one and switches when the new one is out.
        log.warning("the index was not updated: %s", exc)
        try:
            engine.load()
        except IndexNotFound:
            pass  # the bot explains to askers that nothing is indexed yet
        return
    log.info(
        "index in %s updated: %d added, %d changed, %d removed, %d unchanged, %d passages embedded in %.1f s",
        engine.backend.location,
        len(report.added),
        len(report.changed),
        len(report.removed),
        report.unchanged,
        report.chunks_embedded,
        report.seconds,
    )
    for skipped in report.skipped:
        log.warning("skipped %s", skipped)
    for note in report.notes:
        log.info("%s", note)
    engine.load()


async def run_bot(settings: BotSettings, engine: Engine) -> None:
    from bot.client import DocBot

    assert settings.discord_token is not None
    async with DocBot(settings, engine) as bot:
        await bot.start(settings.discord_token.get_secret_value())


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="docbot-discord",
        description="Start the Discord bot: bring the index of DOCBOT_DOCS_DIR up to date, then answer "
        "questions in Discord. Without DOCBOT_DISCORD_TOKEN it opens a terminal chat instead. Settings come "
        "from the environment and .env (prefix DOCBOT_, see .env.example).",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    return p


def _prepare_and_run(settings: BotSettings) -> int:
    """:func:`_prepare_and_run_in`, leaving no data directory behind that holds nothing but the re-index lock
    (nothing to index in a new folder), as ``docbot`` does."""
    creates = not settings.data_dir.exists()
    try:
        return _prepare_and_run_in(settings)
    finally:
        if creates:
            forget_new_data_dir(settings.data_dir)


def _prepare_and_run_in(settings: BotSettings) -> int:
    from embeddings import Engine

    engine = Engine(settings)
    check_data_dir(settings.data_dir, write=True)
    has_token = settings.discord_token is not None and bool(settings.discord_token.get_secret_value().strip())
    if has_token:
        try:  # before an index update that may take minutes: a wrong database URL is said at once
            settings.database.check()
        except DatabaseUnavailable as exc:
            log.error("%s (%s)", exc, settings.database.setting)
            return 1
    check_model(engine, indexing=True)
    update_index(engine, settings)
    if not has_token:
        if not engine.is_loaded:  # nothing was indexed (said above): the chat would have nothing to answer from
            log.error("no DOCBOT_DISCORD_TOKEN is set and there is no index for the terminal chat: name what to "
                      "index with `docbot index PATH`, or set DOCBOT_DOCS_DIR to a folder of documents")
            return 1
        log.warning("no DOCBOT_DISCORD_TOKEN is set: starting the terminal chat instead of the Discord bot")
        from embeddings.cli import chat

        return chat(engine)
    return run_discord(settings, engine)


def run_discord(settings: BotSettings, engine: Engine) -> int:
    """Run the bot until it stops; what ends it (Ctrl-C, Discord out of reach, a refused token) is one line."""
    try:
        asyncio.run(run_bot(settings, engine))
    except KeyboardInterrupt:
        log.info("stopped")
    except DatabaseUnavailable as exc:  # the server went away meanwhile
        log.error("%s (%s)", exc, settings.database.setting)
        return 1
    except (aiohttp.ClientConnectorError, discord.GatewayNotFound) as exc:
        # No network, no DNS, a proxy in the way: it was the resolver's words alone ("Name or service not
        # known") and, at the default INFO, an 80-line traceback.
        where = exc.host if isinstance(exc, aiohttp.ClientConnectorError) else "its gateway"
        reason = (exc.os_error.strerror if isinstance(exc, aiohttp.ClientConnectorError) else None) or str(exc)
        log.error("cannot reach Discord (%s): %s", where, reason)
        log.debug("details of the error above", exc_info=exc)
        return 1
    except discord.LoginFailure:
        log.error("Discord refused the token (DOCBOT_DISCORD_TOKEN): check it in the developer portal")
        return 1
    except discord.PrivilegedIntentsRequired:  # Message Content is dropped before (DocBot.setup_hook)
        log.error("Discord refused a privileged intent: enable it for the bot in the Discord developer portal")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    _parser().parse_args(argv)  # --help and --version exit here, before settings or ./data
    try:
        settings = BotSettings()
    except ValidationError as exc:
        for line in describe_invalid(exc, BotSettings):
            print(f"docbot-discord: {line}", file=sys.stderr)
        return 2
    except (UnicodeDecodeError, OSError) as exc:  # a .env in another encoding, or unreadable
        print(f"docbot-discord: cannot read the settings file .env: {settings_file_error(exc)}", file=sys.stderr)
        return 2
    for line in unknown_variables(BotSettings):
        print(f"docbot-discord: {line}", file=sys.stderr)
    configure_logging(settings.log_level)
    return run_reporting("docbot-discord", lambda: _prepare_and_run(settings), count_interrupts=False,
                         details=logging.DEBUG)


if __name__ == "__main__":
    sys.exit(main())
