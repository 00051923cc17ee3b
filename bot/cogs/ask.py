"""Asking questions: @mentions, answer channels, threads and forum posts, ``/ask``, ``/help`` and the 👍/👎
feedback buttons on every answer.

A mention and ``/ask`` share one code path (:meth:`Ask.respond`): the engine answers in a worker thread,
the answer is recorded in the feedback store (which gives it the id its buttons carry) and rendered
within Discord's limits. The feedback buttons are :class:`discord.ui.DynamicItem` s whose ``custom_id``
encodes the answer id and the vote, registered once when the cog loads, so clicks on answers sent before
a restart are still recorded.

Where a message is answered (:meth:`Ask.incoming`): a reply to it (reply mode ``reply``), or in a thread
the bot opens on it (reply mode ``thread``, per server and channel). A thread the bot opened and a forum
post it answered (a forum channel set as an answer channel: the post's title and first message are the
question) are *conversations* (``bot.conversations``): every later message from a person there is a
follow-up, answered without a mention and read with the questions before it. In answer channels and
conversations, where nobody mentions the bot, the quiet rule (``bot.quiet``) keeps it silent on small
talk, emoji and links, before the sender's cooldown counts anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
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
from bot.quiet import is_question
from bot.render import ellipsize, render_answer, render_help, thread_name
from embeddings import Answer, Turn

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


@dataclass(frozen=True)
class Reply:
    """An answer ready to send (message kwargs with its buttons) and the engine's answer it shows."""

    kwargs: dict[str, Any]
    answer: Answer


_CUSTOM_EMOJI = re.compile(r"<a?:(\w+):\d+>")


def question_in(message: discord.Message, me: discord.abc.User) -> str:
    """The question a message asks: its text as people read it (mentions shown as ``@name``, ``#channel``,
    a custom emoji as ``:name:``), without mentions of the bot itself; a message without text (an embed
    only) gives its embed's text. The raw ``<@1576...>`` and ``<:bread:1234...>`` codes would otherwise
    reach the engine and the names of the threads the bot opens."""
    text = _CUSTOM_EMOJI.sub(r":\1:", message.clean_content)
    own_names = set()
    member = message.guild.get_member(me.id) if message.guild else None
    for who in (member, discord.utils.get(message.mentions, id=me.id)):
        if who is not None:
            own_names.add(who.display_name)
    own_role = message.guild.self_role if message.guild else None
    if own_role is not None:
        own_names.add(own_role.name)
    for name in own_names:
        text = text.replace(f"@{name}", " ")
    text = text.strip()
    if not text and message.embeds:
        embed = message.embeds[0]
        text = "\n".join(part for part in (embed.title, embed.description) if part).strip()
    return text


@dataclass(frozen=True)
class Incoming:
    """A message the bot answers: its question, how it came (``via``, as the feedback store records it), and
    where the answer goes."""

    question: str
    via: str  # "mention", "channel", "follow-up" (in a conversation) or "forum" (a new forum post)
    #: The thread whose conversation the question belongs to (a forum post's starts with it).
    conversation: int | None = None
    #: Reply mode ``thread``: open a thread on the message and answer there.
    open_thread: bool = False
    #: Nobody mentioned the bot and the server keeps quiet: answer only a question (``bot.quiet``).
    quiet: bool = False


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
        # Users already told about their cooldown in this window, by server (None: DMs; cooldowns are per
        # server): one notice per window and place, not one per message.
        self._cooldown_told: dict[tuple[int, int | None], float] = {}

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(VoteButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(VoteButton)

    # ------------------------------------------------------------------ the shared path
    async def answer(self, question: str, **asked: Any) -> dict[str, Any]:
        """Ask the engine (in a thread), record the answer and return message kwargs with buttons
        (``asked``: who asked where, as :meth:`respond` takes it)."""
        return (await self.respond(question, **asked)).kwargs

    async def respond(
        self,
        question: str,
        *,
        user: discord.abc.User,
        guild_id: int | None,
        channel_id: int | None,
        via: str,
        history: Sequence[Turn] = (),
        asked_at: datetime | None = None,
    ) -> Reply:
        """Ask the engine (in a thread), record the answer and return it with the message kwargs and buttons.

        ``history`` holds the earlier turns of the conversation the question is asked in; the engine's
        answer is kept for the conversation's next turn (``Turn.of``). ``asked_at``: when the question
        was written (its message's or interaction's ``created_at``), which its "this week" counts back from.
        """
        answer = await self.bot.run_query(self.bot.engine.ask, question, history=history, asked_on=asked_at)
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
        return Reply({**rendered.kwargs(), "view": feedback_view(answer_id)}, answer)

    # ------------------------------------------------------------------ messages
    def incoming(self, message: discord.Message) -> Incoming | None:
        """The question in a message and where to answer it, or None when the bot should stay quiet.

        Answered: mentions of the bot (or its own role) everywhere; every message in DMs, answer channels and
        their threads (the quiet rule applies where nobody mentioned the bot); every message in a conversation (a thread the bot opened, a forum post
        it answered); a new post in a forum channel set as an answer channel, its title and first message
        making the question. Bots, the bot itself and system messages are ignored. Mentions of the bot
        are removed from the question.
        """
        me = self.bot.user
        if me is None or message.author.bot or message.author.id == me.id:
            return None
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return None  # thread created, pins, joins, ...
        mentioned = any(user.id == me.id for user in message.mentions)
        # People often pick the bot's own (managed) role from the mention list instead of the bot.
        own_role = message.guild.self_role if message.guild else None
        role_mentioned = own_role is not None and any(role.id == own_role.id for role in message.role_mentions)
        mentioned = mentioned or role_mentioned
        # A reply to the bot's message mentions it too (Discord's "ping on reply"), but "thanks!" under an
        # answer is no question: only a mention typed in the text lifts the quiet rule.
        typed = re.search(rf"<@!?{me.id}>", message.content) is not None or (
            own_role is not None and f"<@&{own_role.id}>" in message.content)
        channel = message.channel
        parent_id = getattr(channel, "parent_id", None)
        config = self.bot.server_config(message.guild.id if message.guild else None)
        # A direct message is addressed to the bot, and Discord sends its text whatever the intents: it is
        # read as in an answer channel (a question is answered, "thanks!" is not), no mention needed.
        in_dm = message.guild is None
        # Without the Message Content intent Discord sends these messages without their text.
        configured = in_dm or (config.is_answer_channel(channel.id, parent_id) and self.bot.reads_message_content)
        text = question_in(message, me) if message.content else ""
        if not (mentioned or in_dm or self.bot.reads_message_content):
            return None  # a message in a conversation, sent to us without its text: nothing to answer
        quiet = config.quiet and not typed
        in_forum = isinstance(channel, discord.Thread) and isinstance(channel.parent, discord.ForumChannel)
        if in_forum and message.id == channel.id:  # the first message of a forum post: it shares the post's id
            if not (configured or mentioned):
                return None
            return Incoming("\n".join(part for part in (channel.name, text) if part), "forum", conversation=channel.id)
        if self.bot.conversations.is_conversation(channel.id) or (in_forum and configured):
            # A follow-up: in a conversation (even in a thread Discord archived and the cache forgot), or in a
            # forum post of an answer channel whose first message the bot did not see.
            return Incoming(text, "follow-up", conversation=channel.id, quiet=quiet)
        if not (mentioned or configured):
            return None
        in_thread_mode = config.reply_mode_in(channel.id, parent_id) == "thread"
        return Incoming(
            text, "mention" if mentioned else "channel", quiet=quiet,
            open_thread=in_thread_mode and isinstance(channel, discord.TextChannel),
        )

    def addressed_to_others(self, message: discord.Message) -> bool:
        """A message that mentions other people, or replies to another person's message: talk between people."""
        me = self.bot.user
        ours = {message.author.id} | ({me.id} if me else set())
        if any(not user.bot and user.id not in ours for user in message.mentions):
            return True
        replied = message.reference.resolved if message.reference else None
        return isinstance(replied, discord.Message) and not replied.author.bot and replied.author.id not in ours

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        incoming = self.incoming(message)
        if incoming is None:
            return
        if incoming.quiet and (not is_question(incoming.question) or self.addressed_to_others(message)):
            log.debug("quiet: %s is not a question for the bot", message_context(message))
            return
        guild_id = message.guild.id if message.guild else None
        # Counted before the first await, so a burst is rationed in the order it arrived; the window's one
        # notice is decided here too, so it goes to the first message over the limit, not to whichever
        # message's handler gets past the await below first.
        retry_after = self.bot.question_retry_after(message.author.id, guild_id) if incoming.question else None
        tell = bool(retry_after) and self._first_notice(message.author.id, guild_id, retry_after)
        if guild_id is not None:
            # Another process may have changed this server's settings: they apply from the next message.
            await self.bot.refresh_server_config(guild_id)
        reference = message.to_reference(fail_if_not_exists=False)
        context = f"{message_context(message)} question={ellipsize(incoming.question, 300)!r}"
        target: discord.abc.Messageable = message.channel
        try:
            if not incoming.question:
                await message.channel.send(
                    "Ask me a question after the mention, for example `@me what did the report say about X?`",
                    reference=reference,
                    allowed_mentions=NO_MENTIONS,
                )
                return
            if retry_after:
                if tell:
                    await message.channel.send(cooldown_message(retry_after), reference=reference,
                                               allowed_mentions=NO_MENTIONS)
                return
            conversation = incoming.conversation
            history: list[Turn] = []
            if incoming.open_thread:
                thread = await self._open_thread(message, incoming.question, context)
                if thread is not None:  # answered in the thread; the question is its starter, above it
                    target, reference, conversation = thread, None, thread.id
            elif conversation is not None:
                history = await asyncio.to_thread(self.bot.conversations.history, conversation)
            async with typing_while_busy(target):
                reply = await self.respond(
                    incoming.question[:MAX_QUESTION_CHARS],
                    user=message.author,
                    guild_id=guild_id,
                    channel_id=target.id,
                    via=incoming.via,
                    history=history,
                    asked_at=message.created_at,
                )
            sent = await deliver(lambda: target.send(reference=reference, **reply.kwargs), context=context)
            if sent is not None and conversation is not None:
                await self._remember(message, conversation, reply.answer)
        except Exception as exc:
            if is_transient(exc):  # Discord rate-limits this channel: a second message would not get through
                log.error("could not reply to %s: Discord refused it (%s)", context, exc)
                return
            if is_expected(exc):
                log.info("refused %s: %s", context, exc)
            else:
                log.error("error answering %s", context, exc_info=exc)
            try:
                await target.send(user_message(exc), reference=reference, allowed_mentions=NO_MENTIONS)
            except discord.HTTPException:
                log.warning("could not report the error to %s", context)

    async def _open_thread(self, message: discord.Message, question: str, context: str) -> discord.Thread | None:
        """Open a thread on the question (named from it) and remember it as a conversation; None (answer
        with a reply instead) when Discord refuses, e.g. without the Create Public Threads permission."""
        try:
            thread = await message.create_thread(name=thread_name(question))
        except discord.HTTPException as exc:
            log.warning("could not open a thread on %s (%s %s); replying in the channel", context, exc.status, exc.text)
            return None
        await asyncio.to_thread(
            self.bot.conversations.start, thread.id, guild_id=thread.guild.id, parent_id=message.channel.id,
            origin="thread",
        )
        log.info("opened thread %s on %s", thread.id, context)
        return thread

    async def _remember(self, message: discord.Message, thread_id: int, answer: Answer) -> None:
        """Record the turn, so the next message in the thread is read with it (a forum post starts here)."""
        store = self.bot.conversations
        if not store.is_conversation(thread_id):
            await asyncio.to_thread(
                store.start, thread_id, guild_id=message.guild.id if message.guild else None,
                parent_id=getattr(message.channel, "parent_id", None), origin="forum",
            )
        await asyncio.to_thread(store.add_turn, thread_id, Turn.of(answer))

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        if self.bot.conversations.is_conversation(payload.thread_id):
            await asyncio.to_thread(self.bot.conversations.forget, payload.thread_id)

    def _first_notice(self, user_id: int, guild_id: int | None, retry_after: float) -> bool:
        """Whether this message over the limit gets the window's one polite notice (the first one in this
        server, or in DMs, does; further messages there in the window are ignored quietly). Synchronous, so
        it is decided in arrival order."""
        now = time.monotonic()
        key = (user_id, guild_id)
        if self._cooldown_told.get(key, 0.0) > now:
            return False
        if len(self._cooldown_told) > 1000:  # forget windows that are over
            self._cooldown_told = {k: until for k, until in self._cooldown_told.items() if until > now}
        self._cooldown_told[key] = now + retry_after
        return True

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
        store, thread_id = self.bot.conversations, interaction.channel_id
        conversation = thread_id if thread_id is not None and store.is_conversation(thread_id) else None
        history = await asyncio.to_thread(store.history, conversation) if conversation is not None else []
        reply = await self.respond(
            question, user=interaction.user, guild_id=interaction.guild_id, channel_id=interaction.channel_id,
            via="slash", history=history, asked_at=interaction.created_at,
        )
        sent = await deliver(
            lambda: interaction.followup.send(wait=True, **reply.kwargs), context=interaction_context(interaction)
        )
        if sent is not None and conversation is not None:  # /ask in a conversation is one of its turns
            await asyncio.to_thread(store.add_turn, conversation, Turn.of(reply.answer))

    @app_commands.command(name="help", description="What this bot does and how to use it.")
    async def help(self, interaction: discord.Interaction[DocBot]) -> None:
        embed = render_help(
            is_admin=self.bot.is_admin(interaction.user, interaction.permissions),
            cooldown=self.bot.cooldown_hint(interaction.guild_id),
        )
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def setup(bot: DocBot) -> None:
    await bot.add_cog(Ask(bot))
