"""Asking questions: @mentions, ``/ask``, ``/help`` and the 👍/👎 feedback buttons on every answer.

A mention and ``/ask`` share one code path (:meth:`Ask.answer`): the engine answers in a worker thread,
the answer is recorded in the feedback store (which gives it the id its buttons carry) and rendered
within Discord's limits. The feedback buttons are :class:`discord.ui.DynamicItem` s whose ``custom_id``
encodes the answer id and the vote, registered once when the cog loads, so clicks on answers sent before
a restart are still recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import NO_MENTIONS, DocBot
from bot.errors import (
    PUBLIC_THINKING,
    QuestionOnCooldown,
    cooldown_message,
    deliver,
    interaction_context,
    is_expected,
    is_transient,
    message_context,
    report_interaction_error,
    user_message,
)
from bot.render import ellipsize, render_answer, render_help

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000


class VoteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"docbot:vote:(?P<answer>\d+):(?P<vote>up|down)"):
    """👍 or 👎 on one answer; the answer id lives in the custom_id so no state is kept in memory."""

    def __init__(self, answer_id: int, vote: str) -> None:
        up = vote == "up"
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.secondary,
                emoji="👍" if up else "👎",
                label="Helpful" if up else "Not helpful",
                custom_id=f"docbot:vote:{answer_id}:{vote}",
            )
        )
        self.answer_id = answer_id
        self.vote = vote

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> VoteButton:
        return cls(int(match["answer"]), match["vote"])

    async def callback(self, interaction: discord.Interaction[DocBot]) -> None:  # type: ignore[override]
        try:
            bot = interaction.client
            recorded = await asyncio.to_thread(
                bot.feedback.record_vote, self.answer_id, interaction.user.id, 1 if self.vote == "up" else -1
            )
            text = (
                "Thanks for the feedback!"
                if recorded
                else "That answer is no longer on record, so the vote could not be stored."
            )
            log.info("vote %s on answer %s by %s", self.vote, self.answer_id, interaction.user.id)
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        except Exception as exc:  # the one place buttons report errors
            await report_interaction_error(interaction, exc)


async def check_question_cooldown(interaction: discord.Interaction[DocBot]) -> bool:
    """The per-user question cooldown of the server, as an app command check (mentions share the bucket)."""
    retry_after = interaction.client.question_retry_after(interaction.user.id, interaction.guild_id)
    if retry_after:
        raise QuestionOnCooldown(retry_after)
    return True


def question_cooldown() -> Any:
    """:func:`check_question_cooldown` as a decorator for slash commands."""
    return app_commands.check(check_question_cooldown)


@contextlib.asynccontextmanager
async def typing_while_busy(channel: discord.abc.Messageable) -> AsyncIterator[None]:
    """Show "typing…" while an answer is prepared, best effort.

    discord.py's ``channel.typing()`` sends its first request before the block runs and raises if it fails,
    so a rate-limited typing indicator would delay the answer by its retries and then sink it. Here typing
    runs beside the work and its failures are only logged.
    """

    async def keep_typing() -> None:
        while True:
            try:
                await channel.typing()  # one request; Discord shows it for about 10 s
            except discord.HTTPException as exc:
                log.debug("typing indicator refused: %s", exc)
            await asyncio.sleep(8)

    task = asyncio.create_task(keep_typing(), name="typing")
    try:
        yield
    finally:
        task.cancel()


def feedback_view(answer_id: int) -> discord.ui.View:
    """The two buttons every answer carries (timeout None: they work as long as the message exists)."""
    view = discord.ui.View(timeout=None)
    view.add_item(VoteButton(answer_id, "up"))
    view.add_item(VoteButton(answer_id, "down"))
    return view


class Ask(commands.Cog):
    """Questions in channels and DMs, and the /ask and /help commands."""

    def __init__(self, bot: DocBot) -> None:
        self.bot = bot
        # Users already told about their cooldown in this window: one notice, not one per message.
        self._cooldown_told: dict[int, float] = {}

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(VoteButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(VoteButton)

    # ------------------------------------------------------------------ the shared path
    async def answer(
        self,
        question: str,
        *,
        user: discord.abc.User,
        guild_id: int | None,
        channel_id: int | None,
        via: str,
    ) -> dict[str, Any]:
        """Ask the engine (in a thread), record the answer and return message kwargs with buttons."""
        answer = await self.bot.run_query(self.bot.engine.ask, question)
        rendered = render_answer(answer)
        answer_id = await asyncio.to_thread(
            self.bot.feedback.record_answer,
            question=question,
            answered=bool(answer.answered and rendered.excerpts),
            refs=[e.ref for e in rendered.excerpts],
            answer=rendered.plain_text(),
            user_id=user.id,
            guild_id=guild_id,
            channel_id=channel_id,
            via=via,
        )
        log.info(
            "answered %r for %s via %s: answered=%s excerpts=%d evidence=%.2f in %.0f ms (%s)",
            ellipsize(question, 80),
            user.id,
            via,
            answer.answered,
            len(rendered.excerpts),
            answer.evidence,
            answer.elapsed_ms,
            answer.message,
        )
        return {**rendered.kwargs(), "view": feedback_view(answer_id)}

    # ------------------------------------------------------------------ mentions
    def question_from(self, message: discord.Message) -> str | None:
        """The question in a message, or None when the bot should stay quiet.

        By default only messages that mention the bot (or its own role) are questions, in servers and DMs
        alike; in the configured channels (and their threads) every message is. Bots, including this one,
        are ignored. The mention itself is removed from the question.
        """
        me = self.bot.user
        if me is None or message.author.bot or message.author.id == me.id:
            return None
        mentioned = any(user.id == me.id for user in message.mentions)
        # People often pick the bot's own (managed) role from the mention list instead of the bot.
        own_role = message.guild.self_role if message.guild else None
        role_mentioned = own_role is not None and any(role.id == own_role.id for role in message.role_mentions)
        channel = message.channel
        parent_id = getattr(channel, "parent_id", None)
        config = self.bot.server_config(message.guild.id if message.guild else None)
        # Without the Message Content intent Discord sends these messages without their text.
        configured = config.is_answer_channel(channel.id, parent_id) and self.bot.reads_message_content
        if not (mentioned or role_mentioned or configured):
            return None
        text = re.sub(rf"<@!?{me.id}>", " ", message.content)
        if role_mentioned and own_role is not None:
            text = text.replace(f"<@&{own_role.id}>", " ")
        return text.strip()

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        question = self.question_from(message)
        if question is None:
            return
        reference = message.to_reference(fail_if_not_exists=False)
        context = f"{message_context(message)} question={ellipsize(question, 300)!r}"
        try:
            if not question:
                await message.channel.send(
                    "Ask me a question after the mention, for example `@me what did the report say about X?`",
                    reference=reference,
                    allowed_mentions=NO_MENTIONS,
                )
                return
            guild_id = message.guild.id if message.guild else None
            retry_after = self.bot.question_retry_after(message.author.id, guild_id)
            if retry_after:
                await self._tell_cooldown(message, reference, retry_after)
                return
            async with typing_while_busy(message.channel):
                kwargs = await self.answer(
                    question[:MAX_QUESTION_CHARS],
                    user=message.author,
                    guild_id=message.guild.id if message.guild else None,
                    channel_id=message.channel.id,
                    via="mention",
                )
            await deliver(lambda: message.channel.send(reference=reference, **kwargs), context=context)
        except Exception as exc:
            if is_transient(exc):  # Discord rate-limits this channel: a second message would not get through
                log.error("could not reply to %s: Discord refused it (%s)", context, exc)
                return
            if is_expected(exc):
                log.info("refused %s: %s", context, exc)
            else:
                log.error("error answering %s", context, exc_info=exc)
            try:
                await message.channel.send(user_message(exc), reference=reference, allowed_mentions=NO_MENTIONS)
            except discord.HTTPException:
                log.warning("could not report the error to %s", context)

    async def _tell_cooldown(self, message: discord.Message, reference: discord.MessageReference, retry_after: float) -> None:
        """One polite notice per cooldown window; further messages in the window are ignored quietly."""
        now = time.monotonic()
        if self._cooldown_told.get(message.author.id, 0.0) > now:
            return
        if len(self._cooldown_told) > 1000:  # forget windows that are over
            self._cooldown_told = {uid: until for uid, until in self._cooldown_told.items() if until > now}
        self._cooldown_told[message.author.id] = now + retry_after
        await message.channel.send(cooldown_message(retry_after), reference=reference, allowed_mentions=NO_MENTIONS)

    # ------------------------------------------------------------------ slash commands
    @app_commands.command(name="ask", description="Ask a question about the documents; the answer quotes them.")
    @app_commands.describe(question="What do you want to know?")
    @question_cooldown()
    async def ask(
        self, interaction: discord.Interaction[DocBot], question: app_commands.Range[str, 1, MAX_QUESTION_CHARS]
    ) -> None:
        # Defer first: embedding and search can take longer than Discord's 3-second window.
        await interaction.response.defer(thinking=True)
        interaction.extras[PUBLIC_THINKING] = True  # the answer is public, an error is not
        kwargs = await self.answer(
            question, user=interaction.user, guild_id=interaction.guild_id, channel_id=interaction.channel_id, via="slash"
        )
        await deliver(lambda: interaction.followup.send(wait=True, **kwargs), context=interaction_context(interaction))

    @app_commands.command(name="help", description="What this bot does and how to use it.")
    async def help(self, interaction: discord.Interaction[DocBot]) -> None:
        embed = render_help(
            is_admin=self.bot.is_admin(interaction.user, interaction.permissions),
            cooldown=self.bot.cooldown_hint(interaction.guild_id),
        )
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def setup(bot: DocBot) -> None:
    await bot.add_cog(Ask(bot))
