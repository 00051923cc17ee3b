""""Ask about this message": a message context-menu command (right-click a message → Apps).

The target message's text is the question, answered through the same path as a mention or ``/ask``
(:meth:`bot.cogs.ask.Ask.answer`: the engine, the feedback record, the 👍/👎 buttons), under the same
per-user cooldown (a message without text is refused before it counts). The answer is ephemeral or
public as the server chose (``context_menu_ephemeral``, set with ``/config``).

It needs no privileged intent: Discord puts the whole target message, text included, in the
interaction's resolved data even for apps without the Message Content intent (discord.py hands it to the
callback as a :class:`discord.Message`). So this is how people ask about a message in a channel the bot
cannot read, and about someone else's message without retyping it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import NO_MENTIONS, DocBot
from bot.cogs.ask import MAX_QUESTION_CHARS, check_question_cooldown, question_in
from bot.errors import PUBLIC_THINKING, QueryRefused, deliver, interaction_context

if TYPE_CHECKING:
    from bot.cogs.ask import Ask

log = logging.getLogger(__name__)

NAME = "Ask about this message"


class ContextMenu(commands.Cog):
    """The "Ask about this message" command (context menus cannot be cog methods, so it is added here)."""

    def __init__(self, bot: DocBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name=NAME, callback=self.ask_about_message)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    async def ask_about_message(self, interaction: discord.Interaction[DocBot], message: discord.Message) -> None:
        me = self.bot.user
        question = question_in(message, me) if me is not None else message.content.strip()
        if not question:
            raise QueryRefused("that message has no text to ask about")
        await check_question_cooldown(interaction)  # after the text check: a refusal costs no question
        ephemeral = self.bot.server_config(interaction.guild_id).context_menu_ephemeral
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        if not ephemeral:
            interaction.extras[PUBLIC_THINKING] = True  # the answer is public, an error is not
        ask: Ask | None = self.bot.get_cog("Ask")  # type: ignore[assignment]
        if ask is None:  # pragma: no cover - loaded together in setup_hook
            raise RuntimeError("the Ask cog is not loaded")
        kwargs: dict[str, Any] = await ask.answer(
            question[:MAX_QUESTION_CHARS],
            user=interaction.user,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            via="context-menu",
            asked_at=message.created_at,  # its "this week" is the week it was written in
        )
        about = f"About {message.jump_url}"
        kwargs["content"] = f"{about}\n{kwargs['content']}" if kwargs.get("content") else about
        kwargs["allowed_mentions"] = NO_MENTIONS
        await deliver(
            lambda: interaction.followup.send(wait=True, **kwargs),
            context=f"{interaction_context(interaction)} message={message.id}",
        )


async def setup(bot: DocBot) -> None:
    await bot.add_cog(ContextMenu(bot))
