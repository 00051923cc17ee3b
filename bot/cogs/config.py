"""``/config``: a server's admins choose how the bot behaves in their server, while it runs.

Every subcommand changes one setting of :class:`bot.server_config.ServerConfig` through
:class:`bot.config_store.ServerConfigStore`, which stores it in the bot's database, logs it with the
admin's user id (a log line and a row) and applies it at once. ``/config show`` lists what is in effect,
which of it the server chose and the latest changes; ``/config reset`` returns a setting to the ``.env``
default.

Only admins may use it, checked when invoked as for the other admin commands
(:func:`bot.cogs.admin.require_admin`): anyone else gets a one-line refusal and nothing changes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import NO_MENTIONS, DocBot
from bot.cogs.admin import require_admin
from bot.config_store import SETTINGS, ConfigChange
from bot.render import CONTENT_LIMIT, ellipsize
from bot.render_server import describe_change, label, render_config
from bot.server_config import ServerConfig

log = logging.getLogger(__name__)

#: What answer channels need that a bot without the Message Content intent lacks.
NO_INTENT_WARNING = (
    "⚠️ This bot runs without the Message Content intent, so in answer channels it only answers messages "
    "that mention it. Enable the intent in the Discord developer portal (Bot → Privileged Gateway Intents) "
    "and restart the bot."
)

AnswerChannel = discord.TextChannel | discord.ForumChannel


def add_or_remove(name: str, action: str, item_id: int) -> Callable[[ServerConfig], dict[str, Any]]:
    """The change that adds an id to, or removes it from, a set of ids (answer channels, admin roles)."""

    def change(config: ServerConfig) -> dict[str, Any]:
        ids: frozenset[int] = getattr(config, name)
        return {name: ids | {item_id} if action == "add" else ids - {item_id}}

    return change


@app_commands.guild_only()
@app_commands.default_permissions(administrator=True)
class Config(
    commands.GroupCog, group_name="config", group_description="How the bot behaves in this server (admins)."
):
    """The ``/config`` group; each subcommand sets one thing and says what changed."""

    def __init__(self, bot: DocBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction[DocBot]) -> bool:  # type: ignore[override]
        """Every subcommand: in a server, by an admin; before anything is read or changed."""
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        return require_admin(interaction)

    # ------------------------------------------------------------------ shared
    async def _change(
        self,
        interaction: discord.Interaction[DocBot],
        change: Callable[[ServerConfig], Mapping[str, Any]],
        notes: Sequence[str] = (),
    ) -> None:
        assert interaction.guild_id is not None  # interaction_check
        changes = await asyncio.to_thread(
            self.bot.server_configs.update, interaction.guild_id, interaction.user.id, change
        )
        await self._tell(interaction, changes, notes)

    async def _reset(self, interaction: discord.Interaction[DocBot], names: Sequence[str]) -> None:
        """Return settings to the defaults and say what changed."""
        assert interaction.guild_id is not None  # interaction_check
        changes = await asyncio.to_thread(
            self.bot.server_configs.reset, interaction.guild_id, interaction.user.id, list(names)
        )
        await self._tell(interaction, changes)

    async def _tell(
        self, interaction: discord.Interaction[DocBot], changes: Sequence[ConfigChange], notes: Sequence[str] = ()
    ) -> None:
        defaults = self.bot.server_configs.defaults
        if changes:
            lines = [f"✅ {describe_change(c, defaults)}" for c in changes] + ["Applies now, in this server only."]
        else:
            lines = ["Nothing changed: that is the setting already."]
        text = ellipsize("\n".join([*lines, *notes]), CONTENT_LIMIT)
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    def _current(self, interaction: discord.Interaction[DocBot]) -> ServerConfig:
        return self.bot.server_config(interaction.guild_id)

    # ------------------------------------------------------------------ subcommands
    @app_commands.command(name="show", description="The settings in effect here, and the latest changes.")
    async def show(self, interaction: discord.Interaction[DocBot]) -> None:
        assert interaction.guild_id is not None
        store = self.bot.server_configs
        config = self._current(interaction)
        guild = interaction.guild
        if guild is not None:  # .env lists every server's ids: show this server's
            config = dataclasses.replace(
                config,
                answer_channels=frozenset(c for c in config.answer_channels if guild.get_channel_or_thread(c)),
                channel_reply_modes={
                    c: m for c, m in config.channel_reply_modes.items() if guild.get_channel_or_thread(c)
                },
                admin_role_ids=frozenset(r for r in config.admin_role_ids if guild.get_role(r)),
            )
        warnings = [NO_INTENT_WARNING] if config.answer_channels and not self.bot.reads_message_content else []
        history = await asyncio.to_thread(store.history, interaction.guild_id)
        embed = render_config(
            config,
            overridden=store.overridden(interaction.guild_id),
            history=history,
            defaults=store.defaults,
            warnings=warnings,
        )
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(
        name="answer-channel", description="Add or remove a channel where every message is a question."
    )
    @app_commands.describe(action="Add or remove", channel="A text or forum channel")
    async def answer_channel(
        self, interaction: discord.Interaction[DocBot], action: Literal["add", "remove"], channel: AnswerChannel
    ) -> None:
        notes = [NO_INTENT_WARNING] if action == "add" and not self.bot.reads_message_content else []
        await self._change(interaction, add_or_remove("answer_channels", action, channel.id), notes)

    @app_commands.command(name="reply-mode", description="Answer with a reply, or in a thread on the question.")
    @app_commands.describe(
        mode="reply, thread, or default (the server's mode for a channel; the .env mode for the server)",
        channel="Only in this channel (leave empty for the whole server)",
    )
    async def reply_mode(
        self,
        interaction: discord.Interaction[DocBot],
        mode: Literal["reply", "thread", "default"],
        channel: AnswerChannel | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        if channel is None and mode == "default":
            await self._reset(interaction, ["reply_mode"])
            return

        def change(config: ServerConfig) -> dict[str, Any]:
            if channel is None:
                return {"reply_mode": mode}
            modes = dict(config.channel_reply_modes)
            if mode == "default":
                modes.pop(channel.id, None)
            else:
                modes[channel.id] = mode
            return {"channel_reply_modes": modes}

        await self._change(interaction, change)

    @app_commands.command(
        name="lookups-ephemeral", description="Whether /search, /source and /sources answer only the asker."
    )
    @app_commands.describe(enabled="True: only the asker sees them; False: everyone in the channel")
    async def lookups_ephemeral(self, interaction: discord.Interaction[DocBot], enabled: bool) -> None:
        await self._change(interaction, lambda config: {"sources_ephemeral": enabled})

    @app_commands.command(name="cooldown", description="How many questions one person may ask per time window.")
    @app_commands.describe(
        questions="Questions per window (0: no cooldown)", seconds="Length of the window in seconds"
    )
    async def cooldown(
        self,
        interaction: discord.Interaction[DocBot],
        questions: app_commands.Range[int, 0, 1000],
        seconds: app_commands.Range[float, 1.0, 86400.0] | None = None,
    ) -> None:
        def change(config: ServerConfig) -> dict[str, Any]:
            values: dict[str, Any] = {"cooldown_questions": questions}
            if seconds is not None:
                values["cooldown_seconds"] = seconds
            return values

        await self._change(interaction, change)

    @app_commands.command(
        name="admin-role", description="Add or remove a role whose members may use the admin commands."
    )
    @app_commands.describe(action="Add or remove", role="The role")
    async def admin_role(
        self, interaction: discord.Interaction[DocBot], action: Literal["add", "remove"], role: discord.Role
    ) -> None:
        if action == "add" and role.is_default():
            await interaction.response.send_message(
                "⛔ @everyone can't be an admin role: it would make every member an admin. Nothing was changed.",
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            return

        await self._change(interaction, add_or_remove("admin_role_ids", action, role.id))

    @app_commands.command(
        name="quiet", description="In answer channels, stay silent on messages that are not questions."
    )
    @app_commands.describe(enabled="True: no reply to thanks, emoji or links alone; False: answer every message")
    async def quiet(self, interaction: discord.Interaction[DocBot], enabled: bool) -> None:
        await self._change(interaction, lambda config: {"quiet": enabled})

    @app_commands.command(
        name="context-menu-ephemeral", description='Whether "Ask about this message" answers only the asker.'
    )
    @app_commands.describe(enabled="True: only the person who used it sees the answer; False: everyone")
    async def context_menu_ephemeral(self, interaction: discord.Interaction[DocBot], enabled: bool) -> None:
        await self._change(interaction, lambda config: {"context_menu_ephemeral": enabled})

    @app_commands.command(name="reset", description="Return a setting (or all) to the bot's defaults.")
    @app_commands.describe(setting="Which setting")
    @app_commands.choices(
        setting=[app_commands.Choice(name="everything", value="all")]
        + [app_commands.Choice(name=label(name)[:100], value=name) for name in SETTINGS]
    )
    async def reset(self, interaction: discord.Interaction[DocBot], setting: str) -> None:
        await self._reset(interaction, list(SETTINGS) if setting == "all" else [setting])


async def setup(bot: DocBot) -> None:
    await bot.add_cog(Config(bot))
