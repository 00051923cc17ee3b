"""The bot itself: a ``commands.Bot`` that owns the settings, the engine and the feedback store.

Features live in cogs (``bot.cogs.ask``, ``bot.cogs.sources``, ``bot.cogs.admin``) loaded in
``setup_hook``; this class only holds what they share: the one settings object, the engine, the
per-user question cooldown and the error handling. The engine loads the index itself, on first use
and again when a newer one is published, so the bot never checks or loads it. Every engine call goes through
:meth:`DocBot.run_engine`, which runs it in a worker thread so the gateway heartbeat and other users'
commands keep flowing while a question is embedded or an index is built.

Each server's settings (``/config``) are read through :meth:`DocBot.server_config`; the question cooldown,
the admin roles and everything the cogs decide per server follow it at once.

The privileged Message Content intent is only needed to read messages that do not mention the bot
(answer channels). The bot asks for it (``DOCBOT_MESSAGE_CONTENT_INTENT``) if the application's flags say
it is enabled in the developer portal; when it is not, the bot connects without it instead of being refused
(close code 4014), and says once in the log what that turns off. Mentions, DMs, slash commands and "Ask about this message" carry
their text without the intent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.config_store import ServerConfigStore
from bot.conversations import ConversationStore
from bot.errors import QueryRefused, message_context, report_interaction_error
from bot.feedback import FeedbackStore
from bot.server_config import ServerConfig, defaults
from bot.settings import BotSettings
from embeddings.errors import IndexNotFound, InvalidRequest

if TYPE_CHECKING:
    from embeddings import Engine

log = logging.getLogger(__name__)

T = TypeVar("T")

INITIAL_EXTENSIONS = (
    "bot.cogs.ask",
    "bot.cogs.context_menu",
    "bot.cogs.sources",
    "bot.cogs.admin",
    "bot.cogs.config",
    "bot.cogs.feedback",
)

#: Said once in the log when the bot runs without the Message Content intent.
WITHOUT_MESSAGE_CONTENT = (
    "answer channels are off (the bot cannot read messages that do not mention it); mentions, DMs, "
    'slash commands and "Ask about this message" work'
)

#: Passed to every send, reply, followup and edit, on top of the client-wide default, so that a quoted
#: ``@everyone`` or role mention from a document or a question can never ping anyone.
NO_MENTIONS = discord.AllowedMentions.none()


def _guild_only(command: app_commands.Command[Any, ..., Any]) -> bool:
    """A command is guild-only if it, or a group it belongs to (``/config ...``), is."""
    item: app_commands.Command[Any, ..., Any] | app_commands.Group | None = command
    while item is not None:
        if item.guild_only:
            return True
        item = item.parent
    return False


class DocTree(app_commands.CommandTree["DocBot"]):
    """The command tree; its ``on_error`` is the single error handler for every slash command."""

    async def interaction_check(self, interaction: discord.Interaction[DocBot]) -> bool:
        """Refuse a guild-only command outside a server before any other check runs.

        Discord does not offer such commands in DMs, but an outdated or modified client can still send one;
        the admin check would then refuse it as "for admins" (a DM has no roles), which is not the reason.
        Autocomplete gets an empty list: it cannot show an error.
        """
        command = interaction.command
        if interaction.guild_id is not None and interaction.type is not discord.InteractionType.autocomplete:
            # Not per keystroke: suggestions depend on the index, not on the server's settings.
            await interaction.client.refresh_server_config(interaction.guild_id)
        if interaction.guild_id is None and isinstance(command, app_commands.Command) and _guild_only(command):
            if interaction.type is discord.InteractionType.autocomplete:
                await interaction.response.autocomplete([])
                return False
            raise app_commands.NoPrivateMessage()
        return True

    async def on_error(self, interaction: discord.Interaction[DocBot], error: app_commands.AppCommandError) -> None:
        await report_interaction_error(interaction, error)


class DocBot(commands.AutoShardedBot):
    """A Discord front end for one :class:`embeddings.Engine`.

    Sharded: one process runs the shards ``DOCBOT_SHARD_IDS`` of ``DOCBOT_SHARD_COUNT`` (all of Discord's
    recommended count by default), and Discord sends it the events of the servers on those shards only
    (``(guild_id >> 22) % shard_count``; DMs go to shard 0). What the processes share is the bot's database
    (``DOCBOT_DATABASE_URL``) and the index on the data folder; what each keeps in memory (cooldowns,
    conversation threads) is per server, so it lives in the one process that serves that server.

    ``**kwargs`` go to :class:`commands.AutoShardedBot` unchanged (tests pass ``connector=`` and
    ``guild_ready_timeout=``).
    """

    def __init__(
        self,
        settings: BotSettings,
        engine: Engine,
        *,
        feedback: FeedbackStore | None = None,
        **kwargs: Any,
    ) -> None:
        intents = discord.Intents.default()
        # Needed to read questions in answer channels only; mentions, DMs and interactions carry their text.
        intents.message_content = settings.message_content_intent
        kwargs.setdefault("intents", intents)
        kwargs.setdefault("shard_count", settings.shard_count)
        if settings.shard_ids:
            kwargs.setdefault("shard_ids", list(settings.shard_ids))
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            allowed_mentions=NO_MENTIONS,
            tree_cls=DocTree,
            **kwargs,
        )
        self.settings = settings
        self.engine = engine
        database = settings.database  # SQLite file or PostgreSQL server, shared by the three stores
        self.feedback = feedback or FeedbackStore(database)
        self.server_configs = ServerConfigStore(database, defaults(settings))
        # One cooldown mapping per server, made for that server's (questions, seconds) and made anew when
        # its admins change them; keyed by user id, so a mention and an /ask from one person share a bucket.
        self._cooldowns: dict[int | None, tuple[tuple[int, float], commands.CooldownMapping[int]]] = {}
        #: Threads the bot keeps conversations in (reply mode thread, forum posts), in the same database.
        self.conversations = ConversationStore(database)
        # Refuses a second admin job at once (before deferring) while this process runs one; the rule itself
        # (one re-index at a time, across processes) is the engine's file lock, which every job takes first.
        self.index_lock = asyncio.Lock()
        self._warm_up_task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ startup
    async def setup_hook(self) -> None:
        """Open the bot's database (feedback, server settings), load the cogs and sync the command tree,
        before connecting."""
        await asyncio.to_thread(self.feedback.open)
        await asyncio.to_thread(self.server_configs.open)
        if self.reads_message_content:
            await self._drop_message_content_unless_enabled()
        else:
            log.warning("the Message Content intent is off (DOCBOT_MESSAGE_CONTENT_INTENT=false): %s",
                        WITHOUT_MESSAGE_CONTENT)
        await asyncio.to_thread(self.conversations.open)
        try:
            await self.run_engine(lambda: self.engine.generation)  # loaded now rather than on first use
            indexed = True
        except IndexNotFound:
            indexed = False
            log.warning("no index yet: questions will be refused until an admin runs /reindex")
        for extension in INITIAL_EXTENSIONS:
            await self.load_extension(extension)
        if self.settings.sync_commands:
            await self.sync_commands()
        if indexed:
            self._warm_up_task = asyncio.create_task(self._warm_up(), name="docbot-warm-up")

    async def _drop_message_content_unless_enabled(self) -> None:
        """Before connecting, ask Discord whether Message Content is enabled for this application; if not,
        connect without it (and say so once) rather than be refused.

        Discord closes an IDENTIFY that asks for a privileged intent the application lacks (close code 4014),
        and a sharded client closes itself on that, so the bot checks first: the application's flags say which
        privileged intents the developer portal enabled (``GATEWAY_MESSAGE_CONTENT``, or ``..._LIMITED`` for a
        bot in fewer than 100 servers). Its intents live in the connection state, which IDENTIFY reads
        (``ConnectionState._intents``: discord.py has no public way to change them after construction).
        """
        try:
            flags = (await self.application_info()).flags
        except discord.HTTPException:
            log.debug("could not read the application's flags; asking for Message Content anyway", exc_info=True)
            return
        if flags.gateway_message_content or flags.gateway_message_content_limited:
            return
        log.warning(
            "the Message Content intent is not enabled for this bot in the Discord developer portal (Bot > "
            "Privileged Gateway Intents); continuing without it: %s",
            WITHOUT_MESSAGE_CONTENT,
        )
        self._connection._intents.message_content = False

    @property
    def reads_message_content(self) -> bool:
        """Whether Discord sends this bot the text of every message (or only of mentions, DMs, ...)."""
        return self.intents.message_content

    async def _warm_up(self) -> None:
        """Load the query model now, in a worker thread, so the first question does not pay for it."""
        try:
            await self.run_engine(self.engine.search, "warm up", 1)
        except Exception:  # only an optimisation: a real question will report any real problem
            log.debug("warm-up query failed", exc_info=True)

    async def sync_commands(self) -> None:
        """Sync to each configured guild (instant) or globally (Discord may take an hour to show them)."""
        if self.settings.guild_ids:
            for guild_id in self.settings.guild_ids:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
                log.info("synced %d commands to guild %s", len(synced), guild_id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d global commands", len(synced))

    async def on_ready(self) -> None:
        log.info("ready as %s (%s) in %d guild(s), shard(s) %s of %s, database %s", self.user,
                 self.user.id if self.user else "?", len(self.guilds), sorted(self.shards), self.shard_count,
                 self.feedback.database.describe())

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: questions are handled by the Ask cog's listener."""

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        """Last resort for exceptions in event listeners: log with the event's context."""
        context = event_method
        if args and isinstance(args[0], discord.Message):
            context = f"{event_method} for {message_context(args[0])}"
        log.exception("unhandled error in %s", context)

    # ------------------------------------------------------------------ shared services
    async def run_engine(self, func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run a blocking engine call in a worker thread (the event loop must never wait on the CPU)."""
        return await asyncio.to_thread(func, *args, **kwargs)

    async def run_query(self, func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """:meth:`run_engine` for ``Engine.ask`` and ``Engine.search``, which raise InvalidRequest for a
        request that makes no sense (blank text, ``k < 1``): that becomes a :class:`QueryRefused`, which the
        error handlers show as a one-line refusal. Any other error stays what it is."""
        try:
            return await self.run_engine(func, *args, **kwargs)
        except InvalidRequest as exc:
            raise QueryRefused(str(exc)) from exc

    async def refresh_server_config(self, guild_id: int) -> None:
        """Before a server's message or command: read its settings again if another bot process (sharing
        the database) changed them; a cheap version check otherwise (``ServerConfigStore.refresh``)."""
        try:
            await asyncio.to_thread(self.server_configs.refresh, guild_id)
        except Exception:  # the database is away: answer with the settings in memory rather than not at all
            log.warning("server %s: could not check its settings in the database %s; using those in memory",
                        guild_id, self.server_configs.database.describe(), exc_info=True)

    def server_config(self, guild_id: int | None) -> ServerConfig:
        """The effective settings for a server (None: a DM): its ``/config`` choices over the ``.env`` defaults."""
        return self.server_configs.get(guild_id)

    def question_retry_after(self, user_id: int, guild_id: int | None) -> float | None:
        """Count one question against the user's cooldown in this server; seconds to wait if over the limit."""
        config = self.server_config(guild_id)
        if config.cooldown_questions <= 0:
            return None
        rate = (config.cooldown_questions, config.cooldown_seconds)
        entry = self._cooldowns.get(guild_id)
        if entry is None or entry[0] != rate:  # first question here, or the admins changed the cooldown
            entry = (rate, commands.CooldownMapping.from_cooldown(*rate, lambda user_id: user_id))
            self._cooldowns[guild_id] = entry
        bucket = entry[1].get_bucket(user_id, time.time())
        if bucket is None:  # pragma: no cover - only for BucketType.default
            return None
        return bucket.update_rate_limit(time.time())

    def is_admin(self, user: discord.abc.User, permissions: discord.Permissions | None = None) -> bool:
        """Administrator permission, a user listed in ``.env``, or one of the server's admin roles.

        ``default_member_permissions`` only hides commands and server owners can override it, so every
        admin command checks this again when it is invoked. The admin roles are the server's own
        (``/config admin-role``, ``.env`` by default); listed users are the deployment's, in every server.
        """
        if user.id in self.settings.admin_user_ids:
            return True
        if isinstance(user, discord.Member):
            if permissions is not None and permissions.administrator:
                return True
            if user.guild_permissions.administrator:
                return True
            admin_roles = self.server_config(user.guild.id).admin_role_ids
            if any(role.id in admin_roles for role in user.roles):
                return True
        return False

    def cooldown_hint(self, guild_id: int | None) -> str:
        config = self.server_config(guild_id)
        if config.cooldown_questions <= 0:
            return ""
        return f"Each person can ask {config.cooldown_questions} question(s) per {config.cooldown_seconds:g} s."
