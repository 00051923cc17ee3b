"""Admin commands: ``/reindex``, ``/add-document``, ``/remove-document`` and ``/stats``.

They use the engine's sources model (``embeddings.sources``): ``/reindex`` updates every source of the index,
``/add-document`` saves into the uploads folder (``DOCBOT_UPLOADS_DIR``, default the documents folder), which
is a source, and refuses a name that is taken unless ``replace:True``; ``/remove-document`` removes one
document (an uploaded file is deleted too).

They are hidden from non-admins with ``default_member_permissions`` (Administrator), but server owners
can override that in their integration settings, so :meth:`Admin.interaction_check` checks again on
every call: Administrator permission, or a role or user listed in the settings. A refused call gets an
ephemeral explanation and never reaches the engine.

Anything that re-indexes runs in a worker thread and takes the engine's re-index lock (a file lock in the data
directory, so a `docbot index` beside the bot is refused too); the bot's ``index_lock`` only lets a second
request in this process be told at once, before deferring. While a job runs, questions
keep being answered from the current index (the engine swaps generations atomically), and the reply shows
the current stage's progress, edited every ``PROGRESS_INTERVAL`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import NO_MENTIONS, DocBot
from bot.errors import NotAdmin, deliver, interaction_context, user_message
from bot.render import CONTENT_LIMIT, code, ellipsize, notice, render_progress, render_report, render_stats
from embeddings.errors import EngineError, IndexNotFound
from embeddings.formats import supported_list
from embeddings.indexer import ProgressCallback
from embeddings.models import IndexProgress, IndexReport

log = logging.getLogger(__name__)

#: Seconds between edits of a progress message: steady, and well within Discord's edit rate limits.
PROGRESS_INTERVAL = 2.0

ALREADY_RUNNING = "⏳ A re-index is already running; try again when it has finished. Nothing was changed."


class ProgressMessage:
    """Keeps an interaction's original response showing how far a re-index is, on a steady timer.

    The engine reports from its worker thread as often as it likes: every batch while embedding, every 200
    documents while reading, nothing while it chunks or writes. :meth:`callback` only keeps the latest
    report; a task edits the message every ``interval`` seconds with that report's stage, counter and the
    time elapsed. So the message moves at a steady pace through silent stretches too, a burst of callbacks
    costs no requests, and the event loop is not woken per batch. Editing stops before the interaction's
    token expires (15 minutes); :meth:`close` waits for an edit in flight, so the final summary is never
    overwritten by a late progress line.
    """

    def __init__(self, interaction: discord.Interaction[DocBot], what: str, interval: float | None = None) -> None:
        self.interaction = interaction
        self.what = what
        self.interval = PROGRESS_INTERVAL if interval is None else interval
        self.latest: IndexProgress | None = None
        self._loop = asyncio.get_running_loop()
        self._started = self._loop.time()
        self._closing = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name=f"progress:{what[:50]}")

    def callback(self, progress: IndexProgress) -> None:
        """Called by the engine from the worker thread; storing one reference is atomic."""
        self.latest = progress

    async def _run(self) -> None:
        shown = None
        while not self._closing.is_set() and not self.interaction.is_expired():
            text = render_progress(self.latest, what=self.what, elapsed=self._loop.time() - self._started)
            if text != shown:
                try:
                    await self.interaction.edit_original_response(content=text, allowed_mentions=NO_MENTIONS)
                except Exception:  # progress is only a courtesy: it must never sink the job or its summary
                    log.warning("could not edit progress for %s", interaction_context(self.interaction), exc_info=True)
                shown = text
            try:
                await asyncio.wait_for(self._closing.wait(), self.interval)
            except TimeoutError:
                pass

    async def close(self) -> None:
        """Stop editing; waits for an edit in flight. Safe to call more than once."""
        self._closing.set()
        await self._task


def require_admin(interaction: discord.Interaction[DocBot]) -> bool:
    """The admin rule, for the commands (``Admin.interaction_check``) and for their autocomplete.

    Autocomplete runs no cog check of its own, and its suggestions (the indexed documents) are as much the
    admins' business as the command, so it uses this as an ``app_commands.check``: discord.py then answers
    anyone else with no suggestions.
    """
    if not interaction.client.is_admin(interaction.user, interaction.permissions):
        raise NotAdmin(interaction.command.qualified_name if interaction.command else "this command")
    return True


class Admin(commands.Cog):
    """Index maintenance and statistics, for admins only."""

    def __init__(self, bot: DocBot) -> None:
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction[DocBot]) -> bool:  # type: ignore[override]
        """Applies to every command in this cog: refuse before anything happens."""
        return require_admin(interaction)

    async def _run_index_job(
        self,
        interaction: discord.Interaction[DocBot],
        what: str,
        job: Callable[[ProgressCallback], IndexReport] | None,
        *,
        done: str,
        prepare: Callable[[], Awaitable[Callable[[ProgressCallback], IndexReport] | None]] | None = None,
    ) -> None:
        """Run one re-indexing job with a live progress message and end with its summary.

        Only one job runs at a time; a second request is told so at once, with nothing changed.
        ``prepare`` runs after the deferral (e.g. downloading an attachment) and returns the job, or None
        when it has already told the user why there is nothing to do.
        """
        if self.bot.index_lock.locked():
            await interaction.response.send_message(ALREADY_RUNNING, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        async with self.bot.index_lock:
            await interaction.response.defer(ephemeral=True, thinking=True)
            if prepare is not None:
                job = await prepare()
            if job is None:
                return
            progress = ProgressMessage(interaction, what)
            try:
                report = await self.bot.run_engine(job, progress.callback)
            except Exception as exc:
                await progress.close()
                if isinstance(exc, EngineError):  # refused (bad file, unknown document, busy): say why
                    log.info("refused %s: %s", interaction_context(interaction), exc)
                else:
                    log.error("error in %s", interaction_context(interaction), exc_info=exc)
                # In place of the progress line, which would otherwise look as if the job were still running.
                await self._conclude(interaction, user_message(exc, private=True))  # the admin's eyes only
                return
            finally:
                await progress.close()  # idempotent; also runs when the task is cancelled
            log.info("%s by %s: %s", what, interaction.user.id, report.model_dump(exclude={"skipped"}))
            await self._conclude(interaction, render_report(report, what=done))

    async def _conclude(self, interaction: discord.Interaction[DocBot], text: str) -> None:
        """End a job's reply with ``text``: in place of its progress line, or, once Discord's 15 minutes for
        the interaction are over (a large collection takes longer to embed), in a direct message to the admin
        who started it, as only they saw the progress. Never lost without a trace: what cannot be delivered
        either way is logged with the text."""
        context = f"{interaction_context(interaction)} summary={text!r}"
        if not interaction.is_expired():
            try:
                await deliver(lambda: interaction.edit_original_response(content=text, allowed_mentions=NO_MENTIONS),
                              context=context)
                return
            except discord.HTTPException as exc:  # the token ran out on the way (401, 50027 Invalid Webhook Token)
                log.warning("could not edit the reply of %s (%s); sending it by direct message", context, exc.status)
        try:
            late = f"\n(the result of your /{self._command(interaction)} in the server; its reply had expired)"
            # The summary whole, as its reply would have shown it (a notice's 400 characters cut its lists).
            await deliver(lambda: interaction.user.send(ellipsize(text, CONTENT_LIMIT - len(late)) + late,
                                                        allowed_mentions=NO_MENTIONS),
                          context=context)
        except discord.HTTPException as exc:  # DMs closed
            log.error("could not tell the admin the result of %s (%s %s)", context, exc.status, exc.text)

    @staticmethod
    def _command(interaction: discord.Interaction[DocBot]) -> str:
        return interaction.command.qualified_name if interaction.command else "command"

    @app_commands.command(name="reindex", description="Update the index from all its sources (admins).")
    @app_commands.describe(
        prune="Also when more than half of the documents would be removed (their files are gone)"
    )
    @app_commands.default_permissions(administrator=True)
    @app_commands.guild_only()
    async def reindex(self, interaction: discord.Interaction[DocBot], prune: bool = False) -> None:
        engine = self.bot.engine
        await self._run_index_job(
            interaction, "Re-indexing", lambda progress: engine.reindex(progress=progress, prune=prune),
            done="Re-index",
        )

    @app_commands.command(name="add-document", description="Add a document (PDF, Word, web page, text) and index it (admins).")
    @app_commands.describe(
        file=f"A {supported_list('or')} file (text as UTF-8)",
        replace="Replace the document that already has this name (refused otherwise)",
    )
    @app_commands.default_permissions(administrator=True)
    @app_commands.guild_only()
    async def add_document(
        self, interaction: discord.Interaction[DocBot], file: discord.Attachment, replace: bool = False
    ) -> None:
        limit = self.bot.settings.max_attachment_bytes
        if file.size > limit:
            # Refuse before downloading anything.
            await interaction.response.send_message(
                notice(
                    f"⛔ Refused: {code(file.filename)} is {file.size:,} bytes, over the limit of {limit:,} bytes. "
                    "Nothing was changed."
                ),
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            return
        engine = self.bot.engine

        async def download() -> Callable[[ProgressCallback], IndexReport] | None:
            try:
                data = await file.read()
            except discord.HTTPException as exc:  # expired or deleted attachment
                log.warning("could not download %s: %s", file.url, exc)
                await interaction.edit_original_response(
                    content=notice(
                        f"⚠️ Could not download {code(file.filename)} from Discord; please try again. "
                        "Nothing was changed."
                    ),
                    allowed_mentions=NO_MENTIONS,
                )
                return None
            return lambda progress: engine.add_document(
                file.filename, data, max_bytes=limit, replace=replace, progress=progress
            )

        what = f"Adding {code(file.filename)}"
        await self._run_index_job(interaction, what, None, done=what, prepare=download)

    @app_commands.command(name="remove-document", description="Remove a document and re-index (admins).")
    @app_commands.describe(document="The document to remove (type words of its title, name or link)")
    @app_commands.default_permissions(administrator=True)
    @app_commands.guild_only()
    async def remove_document(self, interaction: discord.Interaction[DocBot], document: str) -> None:
        engine = self.bot.engine
        what = f"Removing {code(document)}"
        await self._run_index_job(
            interaction, what, lambda progress: engine.remove_document(document, progress=progress), done=what
        )

    @remove_document.autocomplete("document")
    @app_commands.check(require_admin)
    async def _remove_document_autocomplete(
        self, interaction: discord.Interaction[DocBot], current: str
    ) -> list[app_commands.Choice[str]]:
        sources = self.bot.get_cog("Sources")
        if sources is None:
            return []
        return await sources.document_autocomplete(interaction, current)  # type: ignore[attr-defined]

    @app_commands.command(name="stats", description="Index size, questions answered here and feedback (admins).")
    @app_commands.default_permissions(administrator=True)
    @app_commands.guild_only()
    async def stats(self, interaction: discord.Interaction[DocBot]) -> None:
        try:
            stats = await self.bot.run_engine(self.bot.engine.stats)
        except IndexNotFound:
            stats = None
        feedback = await asyncio.to_thread(self.bot.feedback.stats, guild_id=interaction.guild_id)
        await interaction.response.send_message(
            embed=render_stats(stats, feedback), ephemeral=True, allowed_mentions=NO_MENTIONS
        )


async def setup(bot: DocBot) -> None:
    await bot.add_cog(Admin(bot))
