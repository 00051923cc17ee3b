"""One place that decides what a user is told when something fails, and what is logged.

The command tree's ``on_error``, the message listener and the buttons all end up here, so a failure
reads the same wherever it happens: a short, friendly sentence for the user (ephemeral where Discord
allows it) and one log record with the context an operator needs (command, options, user, place).
Engine errors carry a message written for the person who caused them and are shown as they are;
anything unexpected is logged with its traceback and the user only learns that it was logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.render import code, notice, one_line
from embeddings.errors import (
    DataDirUnusable,
    DocumentRejected,
    DuplicateDocument,
    EngineError,
    IndexDamaged,
    IndexNotFound,
    ModelMismatch,
    ModelNotInstalled,
    ReindexInProgress,
    RemovalRefused,
    SourceNotFound,
    StoreUnavailable,
)

log = logging.getLogger("bot.errors")

T = TypeVar("T")

#: Set in ``interaction.extras`` by a command that deferred publicly (everyone sees "… is thinking") and has
#: not replied yet: an error then replaces that placeholder with a message only the asker sees.
PUBLIC_THINKING = "docbot.public_thinking"

#: A reply that discord.py gave up on (five tries through a rate limit or Discord's own errors) is tried once
#: more this many seconds later, or as long as Discord asked to wait if that is longer (at most a minute).
REDELIVERY_DELAY = 5.0


class NotAdmin(app_commands.CheckFailure):
    """An admin command invoked by someone who is neither an administrator nor listed in the settings."""

    def __init__(self, command: str) -> None:
        super().__init__(f"/{command} is for admins")
        self.command = command


class QuestionOnCooldown(app_commands.CheckFailure):
    """A user asked more questions than the per-user cooldown allows (mention or /ask alike)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"on cooldown for {retry_after:.1f}s")
        self.retry_after = retry_after


class QueryRefused(app_commands.AppCommandError):
    """The engine refused a question or search as asked (blank text, ``k < 1``): the asker's to fix."""


def cooldown_message(retry_after: float) -> str:
    """Polite, and precise about when to come back (Discord renders the relative timestamp live)."""
    seconds = max(1, round(retry_after))
    when = int(time.time() + retry_after + 0.999)
    return (
        f"⏳ You're asking faster than I can keep up with. Please try again in {seconds} s (<t:{when}:R>)."
    )


def user_message(error: BaseException, *, private: bool = False) -> str:
    """What the user sees for a given failure; never a traceback, never internal paths in a public reply.

    ``private``: the reply is for the admin who asked only (a re-index's): an unusable data directory,
    an unreachable store or model and a damaged index are told as the engine says them ("no space left
    in /srv/docbot/data (need ~120 MB)"), which is what the admin can act on.
    Shortened like every notice (``bot.render.notice``): errors often quote what was typed, and that may
    be thousands of characters long.
    """
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if private and isinstance(error, _SERVER_SIDE):
        return notice(f"⚠️ {one_line(str(error), 600)}")
    return notice(_describe(error))


def _describe(error: BaseException) -> str:
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, NotAdmin):
        return (
            f"🔒 /{error.command} is for admins: you need the Administrator permission or an admin role "
            "from the bot's settings. Nothing was changed."
        )
    if isinstance(error, QuestionOnCooldown):
        return cooldown_message(error.retry_after)
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works in a server."
    if isinstance(error, QueryRefused):
        return f"✋ Refused: {one_line(str(error), 300)}."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here."
    if isinstance(error, IndexDamaged):  # what is damaged names files on the server: the log has it
        return "⚠️ The index is damaged. An admin can rebuild it with /reindex (the bot's log says what is damaged)."
    if isinstance(error, IndexNotFound):
        return "📭 No documents are indexed yet. An admin can build the index with /reindex."
    if isinstance(error, ReindexInProgress):
        return "⏳ A re-index is already running; try again when it has finished."
    if isinstance(error, DuplicateDocument):
        taken = (f"the document “{one_line(error.title or error.doc_id, 200)}” ({code(error.doc_id)}) has that name"
                 if error.doc_id else "a file of that name is already in the uploads folder")
        return (f"⛔ Refused: {code(error.name)} already exists: {taken}. Nothing was changed. To replace it, run "
                "/add-document again with `replace:True`.")
    if isinstance(error, DocumentRejected):
        return f"⛔ Refused: {error}. Nothing was changed."
    if isinstance(error, RemovalRefused):
        return (f"✋ Refused: this re-index would remove {len(error.removed)} of the {error.total} documents (their "
                "files are gone from the index's sources). Nothing was changed. If they were deleted on purpose, "
                "run /reindex again with `prune:True`.")
    if isinstance(error, SourceNotFound):
        return f"🔎 {error.pointing_to('/sources')}" if str(error) else "🔎 No such document or passage in the index."
    if isinstance(error, ModelMismatch):
        return "⚠️ The index was built with another model; an admin needs to run /reindex."
    if isinstance(error, (DataDirUnusable, StoreUnavailable, ModelNotInstalled)):  # server paths and addresses
        return "⚠️ The bot cannot reach its index or its model right now. It has been logged; an admin can check it."
    if isinstance(error, EngineError):
        return f"⚠️ {error}"
    return "💥 Something went wrong on my side. It has been logged; please try again later."


#: Errors whose message names the server's paths or addresses: told in full only to an admin, privately.
_SERVER_SIDE = (IndexDamaged, DataDirUnusable, StoreUnavailable, ModelNotInstalled)


def is_transient(error: BaseException) -> bool:
    """Discord refused a request for now (429 rate limit, or its own 5xx) even after discord.py's retries.

    The message itself was fine: telling the user "something went wrong" would be untrue, and would only
    meet the same rate limit.
    """
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    return isinstance(error, discord.HTTPException) and (error.status == 429 or error.status >= 500)


def _retry_after(error: discord.HTTPException) -> float:
    try:
        return float(error.response.headers.get("Retry-After") or 0)
    except (AttributeError, TypeError, ValueError):
        return 0.0


async def deliver(send: Callable[[], Awaitable[T]], *, context: str) -> T | None:
    """Send a reply; if Discord still refuses it for now after discord.py's retries, try once more later.

    ``context`` says who asked what (the question included): a reply that still cannot be delivered is
    logged with it, so it is never lost without a trace. Returns what ``send`` returned, or None when
    the reply could not be delivered. Errors that are not transient propagate as usual.
    """
    try:
        return await send()
    except discord.HTTPException as exc:
        if not is_transient(exc):
            raise
        delay = min(60.0, max(REDELIVERY_DELAY, _retry_after(exc)))
        log.warning("Discord refused the reply to %s (%s); trying once more in %.1f s", context, exc.status, delay)
    await asyncio.sleep(delay)
    try:
        return await send()
    except discord.HTTPException as exc:
        if not is_transient(exc):
            raise
        log.error("could not deliver the reply to %s: Discord still refuses it (%s %s)", context, exc.status, exc.text)
        return None


def is_expected(error: BaseException) -> bool:
    """Errors that are part of normal use (refusals, cooldowns, bad refs) are logged without a traceback."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    return isinstance(error, (app_commands.CheckFailure, EngineError, QueryRefused))


def interaction_context(interaction: discord.Interaction[Any]) -> str:
    """Who did what where, for the log line (the token is never part of an interaction's repr)."""
    command = interaction.command.qualified_name if interaction.command else None
    what = f"/{command}" if command else f"component {interaction.data.get('custom_id') if interaction.data else '?'}"
    options = interaction.namespace.__dict__ if command else {}
    return (
        f"{what} options={options!r} user={interaction.user} ({interaction.user.id}) "
        f"guild={interaction.guild_id} channel={interaction.channel_id}"
    )


async def report_interaction_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """Log the error with its context and tell the user, whatever state the interaction is in."""
    context = interaction_context(interaction)
    if is_transient(error):  # a reply Discord would not take now: another message would not get through either
        log.error("could not deliver the reply to %s: Discord refused it (%s)", context, error)
        return
    if is_expected(error):
        log.info("refused %s: %s", context, error)
    else:
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        log.error("error in %s", context, exc_info=original)
    if interaction.type is discord.InteractionType.autocomplete:  # suggestions cannot carry a message
        if not interaction.response.is_done():
            await interaction.response.autocomplete([])
        return
    text = user_message(error)
    try:
        if interaction.response.is_done():
            if interaction.extras.pop(PUBLIC_THINKING, False):
                # The first followup would fill in the public placeholder: errors are for the asker only.
                await interaction.delete_original_response()
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())
        else:
            await interaction.response.send_message(
                text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
    except Exception:  # best effort: the interaction may have expired or the bot may be shutting down
        log.warning("could not tell the user about the error in %s", context, exc_info=True)


def message_context(message: discord.Message) -> str:
    return (
        f"message {message.id} by {message.author} ({message.author.id}) "
        f"guild={message.guild.id if message.guild else None} channel={message.channel.id}"
    )
