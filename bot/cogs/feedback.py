"""``/feedback``: which answers people voted down in this server, and an export of every question.

Admins see the answers voted 👎, most recently first, a few per page (Prev/Next buttons like
``/sources``): each with its question, the votes, the sources it cited (by title, with the passages) and
the start of what it said. ``/feedback export:csv|json`` sends every question asked in the server, with
the answer, whether the documents covered it, the cited passages, the votes and the dates, as a file,
so a community can see which questions its documents fail.

A server's admins see only their server's questions. Like the other admin commands it is checked when
invoked, and the page buttons check again.
"""

from __future__ import annotations

import asyncio
import io
import logging
import math
import time
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import NO_MENTIONS, DocBot
from bot.cogs.admin import require_admin
from bot.cogs.sources import PageButton, pager
from bot.render import human_bytes
from bot.render_server import FEEDBACK_PER_PAGE, export_csv, export_json, render_feedback_page
from embeddings.errors import IndexNotFound

log = logging.getLogger(__name__)

DAY = 86400.0


class FeedbackPageButton(PageButton, template=r"docbot:feedback:(?P<page>\d+):(?P<dir>prev|next)"):
    """Prev or Next on a /feedback message."""

    prefix = "docbot:feedback"

    async def turn(self, interaction: discord.Interaction[DocBot]) -> None:
        if interaction.guild_id is not None:  # the admin roles may have changed in another process
            await interaction.client.refresh_server_config(interaction.guild_id)
        require_admin(interaction)
        cog: Feedback | None = interaction.client.get_cog("Feedback")  # type: ignore[assignment]
        if cog is None or interaction.guild_id is None:  # pragma: no cover - a stale button
            raise app_commands.NoPrivateMessage()
        await interaction.response.edit_message(
            content=None, allowed_mentions=NO_MENTIONS, **await cog.page(interaction.guild_id, self.page)
        )


class Feedback(commands.Cog):
    """The ``/feedback`` command and its page buttons."""

    def __init__(self, bot: DocBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(FeedbackPageButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(FeedbackPageButton)

    async def interaction_check(self, interaction: discord.Interaction[DocBot]) -> bool:  # type: ignore[override]
        return require_admin(interaction)

    async def _titles(self) -> dict[str, str]:
        """Document titles by id, to name cited sources (none when there is no index)."""
        try:
            docs = await self.bot.run_engine(self.bot.engine.sources)
        except IndexNotFound:
            return {}
        return {d.doc_id: d.title for d in docs}

    async def page(self, guild_id: int, page: int) -> dict[str, Any]:
        """Message kwargs (embed, view) for one page; a page past the end shows the last one."""
        store = self.bot.feedback
        page = max(page, 0)
        total, records = await asyncio.to_thread(
            store.voted_down, guild_id, offset=page * FEEDBACK_PER_PAGE, limit=FEEDBACK_PER_PAGE
        )
        pages = max(1, math.ceil(total / FEEDBACK_PER_PAGE))
        if page >= pages:  # fewer answers voted down than when the button was made
            page = pages - 1
            total, records = await asyncio.to_thread(
                store.voted_down, guild_id, offset=page * FEEDBACK_PER_PAGE, limit=FEEDBACK_PER_PAGE
            )
        embed = render_feedback_page(records, page=page, pages=pages, total=total, titles=await self._titles())
        return {"embed": embed, "view": pager(page, pages, FeedbackPageButton)}

    @app_commands.command(
        name="feedback", description="Answers voted 👎 here, with their sources; or export every question (admins)."
    )
    @app_commands.describe(
        export="Send every question, answer and vote of this server as a file instead",
        days="Export only the last N days",
    )
    @app_commands.default_permissions(administrator=True)
    @app_commands.guild_only()
    async def feedback(
        self,
        interaction: discord.Interaction[DocBot],
        export: Literal["csv", "json"] | None = None,
        days: app_commands.Range[int, 1, 3650] | None = None,
    ) -> None:
        assert interaction.guild_id is not None  # guild_only, checked by the tree
        if export is None:
            kwargs = await self.page(interaction.guild_id, 0)
            if kwargs["view"] is None:
                del kwargs["view"]
            await interaction.response.send_message(ephemeral=True, allowed_mentions=NO_MENTIONS, **kwargs)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        since = time.time() - days * DAY if days else None
        records = await asyncio.to_thread(self.bot.feedback.answers, interaction.guild_id, since=since)
        data = export_csv(records) if export == "csv" else export_json(records)
        period = f"the last {days} day(s)" if days else "all time"
        if len(data) > interaction.filesize_limit:
            await interaction.followup.send(
                f"⛔ The export of {period} is {human_bytes(len(data))}, over this server's upload limit of "
                f"{human_bytes(interaction.filesize_limit)}; export fewer `days`.",
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            return
        name = f"feedback-{interaction.guild_id}-{time.strftime('%Y%m%d', time.gmtime())}.{export}"
        log.info("feedback export (%s, %s, %d answers) for %s by %s", export, period, len(records),
                 interaction.guild_id, interaction.user.id)
        await interaction.followup.send(
            f"📄 {len(records)} question(s) asked in this server ({period}), with answers, cited passages and votes.",
            file=discord.File(io.BytesIO(data), filename=name),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )


async def setup(bot: DocBot) -> None:
    await bot.add_cog(Feedback(bot))
