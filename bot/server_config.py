"""Per-server settings: what one Discord server has chosen, over the deployment's defaults.

Every behaviour an admin can change with ``/config`` is read through :meth:`DocBot.server_config`, which
returns a :class:`ServerConfig` for a server (and channel): the server's own choices where it made them,
the ``.env`` values (:class:`bot.settings.BotSettings`) everywhere else. The cogs never read those
``BotSettings`` fields directly, so a change made with ``/config`` applies at once and only to its server.

This module owns the value type and how defaults are merged; the bot's database stores each server's
choices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.settings import BotSettings

ReplyMode = Literal["reply", "thread"]


@dataclass(frozen=True)
class ServerConfig:
    """The effective settings for one server (and, for ``reply_mode``, one channel)."""

    answer_channels: frozenset[int] = frozenset()
    reply_mode: ReplyMode = "reply"
    #: Channels whose reply mode differs from the server's ``reply_mode``.
    channel_reply_modes: dict[int, ReplyMode] = field(default_factory=dict)
    sources_ephemeral: bool = True
    cooldown_questions: int = 5
    cooldown_seconds: float = 60.0
    admin_role_ids: frozenset[int] = frozenset()
    #: In answer channels, messages that are not questions get no reply (see the quiet rule).
    quiet: bool = True
    #: Whether "Ask about this message" answers only the person who used it.
    context_menu_ephemeral: bool = True

    def reply_mode_in(self, channel_id: int | None, parent_id: int | None = None) -> ReplyMode:
        """The reply mode for a channel: its own override, its parent's (a thread's channel), or the server's."""
        for key in (channel_id, parent_id):
            if key is not None and key in self.channel_reply_modes:
                return self.channel_reply_modes[key]
        return self.reply_mode

    def is_answer_channel(self, channel_id: int | None, parent_id: int | None = None) -> bool:
        """Every message is a question here: the channel, or the channel a thread or forum post lives in."""
        return any(key is not None and key in self.answer_channels for key in (channel_id, parent_id))


def defaults(settings: BotSettings) -> ServerConfig:
    """The configuration of a server that has set nothing: the deployment's ``.env`` values."""
    return ServerConfig(
        answer_channels=frozenset(settings.answer_channels),
        reply_mode=settings.reply_mode,
        sources_ephemeral=settings.sources_ephemeral,
        cooldown_questions=settings.cooldown_questions,
        cooldown_seconds=settings.cooldown_seconds,
        admin_role_ids=frozenset(settings.admin_role_ids),
        quiet=settings.quiet,
        context_menu_ephemeral=settings.context_menu_ephemeral,
    )
