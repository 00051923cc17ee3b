"""A loopback fake of Discord (REST API, gateway and attachment CDN) for end-to-end tests.

The real, unmodified discord.py client talks to this server exactly as it would talk to Discord:

* It is aimed here through public API only. :meth:`FakeDiscord.client_kwargs` returns a ``connector=`` for
  ``discord.Client``/``commands.Bot`` whose resolver sends ``discord.com``, ``gateway.discord.gg``,
  ``cdn.discordapp.com`` and ``media.discordapp.net`` to this server on 127.0.0.1 (and refuses every other
  host name, so a test can never reach the real Discord). The server speaks TLS with a self-signed
  certificate that only that connector trusts. Nothing inside discord.py is patched.
* One aiohttp application serves REST under ``/api/v{N}/...``, the gateway websocket at ``/`` and attachment
  downloads under ``/attachments/...``.

Tests drive the world with the ``push_*``/``click_button``/... coroutines, which send gateway events such as
``MESSAGE_CREATE`` and ``INTERACTION_CREATE``, and observe what the bot did through :attr:`requests`,
:attr:`channel_messages`, :attr:`interactions`, :attr:`commands` and :attr:`heartbeats`, typically with
:meth:`FakeDiscord.wait_until`.

Payload shapes follow what discord.py 2.7 reads (see ``discord/interactions.py``, ``discord/message.py``,
``discord/state.py``). Fields discord.py insists on are called out where they are produced; expect to revisit
them when discord.py changes minor version.

Typical pytest-asyncio fixture (close the bot before the fake, or discord.py tries to reconnect)::

    @pytest_asyncio.fixture
    async def discord_env():
        fake = await FakeDiscord(heartbeat_interval_ms=250).start()
        bot = MyBot(guild_ready_timeout=0.05, **fake.client_kwargs())  # 0.05: no 2 s wait for guilds
        runner = asyncio.create_task(bot.start(fake.token))
        try:
            await fake.wait_bot_ready(bot, runner)
            yield fake, bot
        finally:
            await bot.close()
            await asyncio.wait_for(asyncio.gather(runner, return_exceptions=True), 5)
            await fake.stop()

and in a test::

    iid = await fake.push_slash_command("ask", {"question": "why?"})
    it = fake.interactions[iid]
    await fake.wait_until(lambda: it["followups"])
    assert it["original"]["content"].startswith("...")

Only aiohttp and the standard library are needed. ``zstandard`` (or Python 3.14's ``compression.zstd``) is
used when present, because discord.py then asks for ``compress=zstd-stream``.
"""

from __future__ import annotations

import asyncio
import atexit
import copy
import datetime as _dt
import inspect
import itertools
import json
import logging
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import traceback
import urllib.parse
import zlib
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Iterable, Mapping, Sequence, Union

import aiohttp
from aiohttp import web
from aiohttp.abc import AbstractResolver

__all__ = [
    "FakeDiscord", "GatewayConn", "LoopbackResolver", "DISCORD_HOSTS", "ADMINISTRATOR", "ALL_PERMISSIONS",
    "DEFAULT_MEMBER_PERMISSIONS", "FLAG_EPHEMERAL", "FLAG_LOADING", "FLAG_SUPPRESS_EMBEDS",
]

_log = logging.getLogger(__name__)

Json = dict[str, Any]
#: A file given to a driver: ``(filename, bytes)`` or ``(filename, bytes, content_type)``.
FileSpec = Union[tuple[str, bytes], tuple[str, bytes, str]]

# --------------------------------------------------------------------------------------------- constants

#: Host names the loopback resolver sends to the fake. Everything else is refused.
DISCORD_HOSTS: tuple[str, ...] = ("discord.com", "gateway.discord.gg", "cdn.discordapp.com", "media.discordapp.net")

API_VERSION = 10
DISCORD_EPOCH_MS = 1420070400000

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
MANAGE_MESSAGES = 1 << 13
MANAGE_THREADS = 1 << 34
#: ``discord.Permissions.all().value`` in discord.py 2.7.1.
ALL_PERMISSIONS = 8866461766385663
#: What an ordinary member may do: Discord's usual @everyone set (no admin, no manage_* bits).
DEFAULT_MEMBER_PERMISSIONS = sum(1 << b for b in (
    0,   # create_instant_invite
    6,   # add_reactions
    9,   # stream
    10,  # view_channel
    11,  # send_messages
    14,  # embed_links
    15,  # attach_files
    16,  # read_message_history
    18,  # use_external_emojis
    20,  # connect
    21,  # speak
    25,  # use_vad
    26,  # change_nickname
    31,  # use_application_commands
    32,  # request_to_speak
    35,  # create_public_threads
    36,  # create_private_threads
    37,  # use_external_stickers
    38,  # send_messages_in_threads
    39,  # use_embedded_activities
    46,  # send_voice_messages
    49,  # send_polls
    50,  # use_external_apps
))

# Gateway intents the fake honours when routing events.
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15
#: Intents an app must enable in the developer portal before it may ask for them (else close code 4014).
PRIVILEGED_INTENTS = INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES | INTENT_MESSAGE_CONTENT

# Message flags.
FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_COMPONENTS_V2 = 1 << 15

# Message types.
MSG_DEFAULT, MSG_REPLY, MSG_CHAT_INPUT, MSG_CONTEXT_MENU_COMMAND = 0, 19, 20, 23

# Application command types.
CMD_CHAT_INPUT, CMD_USER, CMD_MESSAGE = 1, 2, 3

# Channel types (https://discord.com/developers/docs/resources/channel#channel-object-channel-types).
CT_TEXT, CT_DM, CT_ANNOUNCEMENT, CT_ANNOUNCEMENT_THREAD, CT_PUBLIC_THREAD = 0, 1, 5, 10, 11
CT_FORUM, CT_MEDIA = 15, 16
THREAD_TYPES = frozenset({CT_ANNOUNCEMENT_THREAD, CT_PUBLIC_THREAD, 12})
#: A message flag: a thread was started from this message.
FLAG_HAS_THREAD = 1 << 5
#: The auto-archive durations Discord accepts, in minutes.
ARCHIVE_DURATIONS = frozenset({60, 1440, 4320, 10080})

# Interaction types and which callback types Discord accepts for each.
IT_PING, IT_COMMAND, IT_COMPONENT, IT_AUTOCOMPLETE, IT_MODAL = 1, 2, 3, 4, 5
ALLOWED_CALLBACKS: dict[int, frozenset[int]] = {
    IT_PING: frozenset({1}),
    IT_COMMAND: frozenset({4, 5, 9, 12}),
    IT_COMPONENT: frozenset({4, 5, 6, 7, 9, 12}),
    IT_AUTOCOMPLETE: frozenset({8}),
    IT_MODAL: frozenset({4, 5, 6, 7}),
}

#: Interactions carry the upload limit; discord.py reads ``attachment_size_limit`` unconditionally.
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

_TRUE = ("1", "true", "True")


def _now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat()


def _json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    """JSON response with ``Content-Type`` exactly ``application/json``.

    discord.py's ``json_or_text`` compares the header for equality; aiohttp's ``web.json_response`` appends
    ``; charset=utf-8`` and discord.py would then hand the handler a ``str`` instead of a dict.
    """
    h = {"Content-Type": "application/json"}
    if headers:
        h.update(headers)
    return web.Response(body=json.dumps(data).encode(), status=status, headers=h)


def _error(status: int, message: str, code: int = 0) -> tuple[int, Json]:
    return status, {"message": message, "code": code}


def _message_body_problem(body: Json, *, creating: bool, has_files: bool) -> str | None:
    """Discord's size limits on a message body, so a bot that would be rejected in production fails here.

    Checked: content <= 2000 characters; <= 10 embeds with title <= 256, description <= 4096, <= 25 fields
    (name <= 256, value <= 1024), footer <= 2048, author <= 256 and <= 6000 characters in all; classic
    components: <= 5 action rows of <= 5 items, custom_id <= 100, label <= 80. ``creating`` also rejects an
    empty message.
    """
    content = body.get("content")
    if content is not None and len(str(content)) > 2000:
        return f"content: Must be 2000 or fewer in length (got {len(str(content))})."
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        return "embeds: Must be 10 or fewer in length."
    total = 0
    for i, e in enumerate(embeds):
        parts = {"title": (e.get("title"), 256), "description": (e.get("description"), 4096),
                 "footer.text": ((e.get("footer") or {}).get("text"), 2048),
                 "author.name": ((e.get("author") or {}).get("name"), 256)}
        fields = e.get("fields") or []
        if len(fields) > 25:
            return f"embeds.{i}.fields: Must be 25 or fewer in length."
        for j, f in enumerate(fields):
            parts[f"fields.{j}.name"] = (f.get("name"), 256)
            parts[f"fields.{j}.value"] = (f.get("value"), 1024)
        for where, (text, limit) in parts.items():
            n = len(str(text)) if text is not None else 0
            if n > limit:
                return f"embeds.{i}.{where}: Must be {limit} or fewer in length (got {n})."
            total += n
    if total > 6000:
        return f"embeds: Embed size exceeds maximum size of 6000 (got {total})."
    components = body.get("components") or []
    if not int(body.get("flags") or 0) & FLAG_COMPONENTS_V2:
        if len(components) > 5:
            return "components: Must be 5 or fewer in length."
        for i, row in enumerate(components):
            items = row.get("components") or []
            if len(items) > 5:
                return f"components.{i}.components: Must be 5 or fewer in length."
            for j, item in enumerate(items):
                if len(item.get("custom_id") or "") > 100:
                    return f"components.{i}.components.{j}.custom_id: Must be 100 or fewer in length."
                if len(item.get("label") or "") > 80:
                    return f"components.{i}.components.{j}.label: Must be 80 or fewer in length."
    if creating and not (content or embeds or components or has_files or body.get("sticker_ids")
                         or body.get("poll")):
        return "Cannot send an empty message"
    return None


def _body_error(body: Json, files: list[Json], *, creating: bool) -> tuple[int, Json] | None:
    """The error response for an invalid message body or too large an upload, else None."""
    if sum(len(f["bytes"]) for f in files) > ATTACHMENT_SIZE_LIMIT:
        return _error(413, "Request entity too large", 40005)
    problem = _message_body_problem(body, creating=creating, has_files=bool(files))
    if problem == "Cannot send an empty message":
        return _error(400, problem, 50006)
    return _error(400, f"Invalid Form Body: {problem}", 50035) if problem else None


# --------------------------------------------------------------------------------------------- TLS

_TLS_LOCK = threading.Lock()
_TLS_FILES: tuple[str, str] | None = None
_SERVER_CTX: ssl.SSLContext | None = None
_CLIENT_CTX: ssl.SSLContext | None = None


def _tls_files() -> tuple[str, str]:
    """Make (once per process) a self-signed certificate valid for all of :data:`DISCORD_HOSTS`.

    ``openssl`` takes a noticeable fraction of a second, so the pair is cached for the process and removed
    at exit.
    """
    global _TLS_FILES
    with _TLS_LOCK:
        if _TLS_FILES is None:
            directory = tempfile.mkdtemp(prefix="fake-discord-tls-")
            atexit.register(shutil.rmtree, directory, True)
            cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
            san = ",".join(f"DNS:{h}" for h in DISCORD_HOSTS)
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                 "-nodes", "-keyout", key, "-out", cert, "-days", "30", "-subj", "/CN=discord.com",
                 "-addext", f"subjectAltName={san}"],
                check=True, capture_output=True)
            _TLS_FILES = (cert, key)
        return _TLS_FILES


def _server_ssl_context() -> ssl.SSLContext:
    global _SERVER_CTX
    if _SERVER_CTX is None:
        cert, key = _tls_files()
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        _SERVER_CTX = ctx
    return _SERVER_CTX


def _client_ssl_context(cafile: str | None = None) -> ssl.SSLContext:
    """Client context trusting only the fake's certificate (hostname checking stays on); ``cafile``: the
    certificate of a fake in another process (:attr:`FakeDiscord.ca_file`)."""
    global _CLIENT_CTX
    if cafile is None and _CLIENT_CTX is not None:
        return _CLIENT_CTX
    ctx = ssl.create_default_context(cafile=cafile or _tls_files()[0])
    # Python >= 3.13 turns on strict X.509 checks that a quick self-signed leaf may not satisfy.
    ctx.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
    if cafile is None:
        _CLIENT_CTX = ctx
    return ctx


def loopback_client_kwargs(port: int, cafile: str | None = None) -> dict[str, Any]:
    """Keyword arguments for ``discord.Client`` that aim it at a fake on ``port`` (see
    :meth:`FakeDiscord.client_kwargs`); from another process, pass the fake's :attr:`FakeDiscord.ca_file`."""
    connector = aiohttp.TCPConnector(resolver=LoopbackResolver(port), ssl=_client_ssl_context(cafile), limit=0)
    return {"connector": connector}


class LoopbackResolver(AbstractResolver):
    """aiohttp resolver sending Discord's host names to the fake and refusing every other name.

    Refusing (rather than resolving normally) guarantees that a test can never talk to the real Discord or
    anything else on the internet through the bot's HTTP session.
    """

    def __init__(self, port: int) -> None:
        self.port = port

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[Any]:
        if host.lower().rstrip(".") in DISCORD_HOSTS:
            return [{"hostname": host, "host": "127.0.0.1", "port": self.port, "family": socket.AF_INET,
                     "proto": 0, "flags": socket.AI_NUMERICHOST}]
        raise OSError(f"fake_discord.LoopbackResolver: refusing to resolve {host!r} in tests")

    async def close(self) -> None:
        pass


# --------------------------------------------------------------------------------------------- gateway


class _Compressor:
    """Transport compression as the client asked for it in ``?compress=``.

    ``zlib-stream``: one zlib stream for the whole connection; every message ends with a sync flush
    (``00 00 ff ff``), which is how discord.py finds message boundaries.
    ``zstd-stream``: one zstd stream; every websocket message is a flushed block.
    """

    def __init__(self, kind: str | None) -> None:
        self.kind = kind or None
        self._zlib: Any = None
        self._zstd: Callable[[bytes], bytes] | None = None
        if self.kind == "zlib-stream":
            self._zlib = zlib.compressobj()
        elif self.kind == "zstd-stream":
            self._zstd = _make_zstd_stream()
        elif self.kind is not None:
            raise ValueError(f"unsupported compress={kind!r}")

    def encode(self, text: str) -> str | bytes:
        if self._zlib is not None:
            return self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
        if self._zstd is not None:
            return self._zstd(text.encode())
        return text


def _make_zstd_stream() -> Callable[[bytes], bytes]:
    try:
        import zstandard  # type: ignore[import-not-found]
    except ImportError:
        try:
            from compression import zstd  # type: ignore[import-not-found]  # Python 3.14+
        except ImportError:
            raise ValueError("client asked for zstd-stream but the fake has no zstd module") from None
        c14 = zstd.ZstdCompressor()
        return lambda raw: c14.compress(raw, mode=zstd.ZstdCompressor.FLUSH_BLOCK)
    cobj = zstandard.ZstdCompressor().compressobj()
    return lambda raw: cobj.compress(raw) + cobj.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)


@dataclass(eq=False)
class GatewayConn:
    """One gateway websocket connection (a new one after every reconnect/resume)."""

    index: int
    ws: web.WebSocketResponse
    compressor: _Compressor
    query: dict[str, str]
    seq: int = 0
    identified: bool = False
    resumed: bool = False
    intents: int | None = None
    #: ``(shard_id, shard_count)`` from IDENTIFY; ``(0, 1)`` for an unsharded client.
    shard: tuple[int, int] = (0, 1)
    session_id: str = ""
    #: Every payload the client sent, in order.
    received: list[Json] = field(default_factory=list)
    #: Every payload the fake sent, in order (uncompressed).
    sent: list[Json] = field(default_factory=list)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def closed(self) -> bool:
        return self.ws.closed

    async def send(self, payload: Json) -> None:
        # Compression state is shared by the whole connection, so compress-and-send must not interleave.
        async with self._lock:
            if self.ws.closed:
                return
            if payload.get("op") == 0:
                self.seq += 1
                payload = {**payload, "s": self.seq}
            self.sent.append(payload)
            data = self.compressor.encode(json.dumps(payload))
            try:
                if isinstance(data, bytes):
                    await self.ws.send_bytes(data)
                else:
                    await self.ws.send_str(data)
            except (ConnectionError, RuntimeError):  # client went away mid-send
                pass

    async def dispatch(self, event: str, d: Any) -> None:
        await self.send({"op": 0, "t": event, "s": None, "d": d})


# --------------------------------------------------------------------------------------------- REST plumbing


@dataclass
class _Call:
    """What a REST handler gets: the parsed request."""

    request: web.Request
    body: Any
    files: list[Json]
    query: Mapping[str, str]


_Handler = Callable[..., Awaitable[tuple[int, Any]]]


@dataclass
class _Injection:
    method: str
    pattern: re.Pattern[str]
    count: int
    status: int
    body: Json
    headers: dict[str, str]


# --------------------------------------------------------------------------------------------- the fake


class FakeDiscord:
    """A small Discord: one guild, two text channels, a DM, a handful of users, and the bot.

    World (ids are strings, as Discord sends them):
      ``app_id``/``bot_user`` (the bot), ``guild_id``, ``channel_id`` (#general), ``other_channel_id``
      (#questions), ``dm_channel_id`` (DM between the bot and ``human``), users ``human`` (alice, ordinary
      member), ``admin`` (bob, role ``admin_role_id`` "Admins" with ADMINISTRATOR; also guild and
      application owner), ``moderator`` (carol, role ``mod_role_id`` "Docs team" without admin) and
      ``other_bot``. :meth:`add_guild` adds another server (before the bot connects), for bots that must
      keep servers apart.
      ``forum_channel_id`` (#help) is a forum channel (type 15): people open posts in it with
      :meth:`push_forum_post`. Threads live in ``channels`` like any channel (type 11, ``parent_id`` their
      channel): the bot opens them on a message (``POST /channels/{c}/messages/{m}/threads``, THREAD_CREATE and
      MESSAGE_UPDATE of the starter, as Discord sends them), tests archive them with :meth:`archive_thread`,
      and a message sent in an archived thread unarchives it first (THREAD_UPDATE), unless it is locked and
      the sender lacks Manage Threads. GUILD_CREATE lists the active threads.

    Observation:
      ``requests``: every REST request in order, as dicts with method, path (after ``/api/vN``), query,
      json (JSON body or multipart ``payload_json``), files (``{"name","filename","bytes","content_type"}``),
      status, auth, host, t (loop time); error (the message of a 4xx/5xx the fake itself answered) and
      injected (True when the answer came from :meth:`inject_rate_limit` or :meth:`inject_error`).
      ``commands``: ``"global"`` or guild id -> registered command dicts as returned to the bot.
      ``channel_messages``: channel id -> live message dicts (the bot's and users'; never ephemeral ones).
      ``interactions``: interaction id -> record with id, token, type, channel_id, user, data, payload
      (the INTERACTION_CREATE sent), message_id (component/modal on a message), parent (the iid that
      opened a submitted modal), created_at, acked_at (loop times), callbacks (raw callback bodies),
      original (LIVE dict of @original: the response message, or the clicked message after callback 6/7),
      followups (snapshots), edits (``{"mid", "message_id", "body", "files", "message": snapshot}``),
      updates (snapshots after callback 7), autocomplete_choices (type 8), modal (type 9 ``data``) and
      log (ordered tuples such as ``("callback", 5, "")``, ``("followup-edits-original", text)``,
      ``("followup", text)``, ``("edit", mid, text)``, ``("delete", mid)``).
      ``heartbeats``: ``{"conn", "seq", "t_received", "t_acked"}`` for every op 1 the client sent, recorded
      on receipt (``t_acked`` is None until the ACK has gone out, ``heartbeat_ack_delay`` later).
      ``gateway_conns``: every :class:`GatewayConn`, in connection order.
      ``cdn_requests``: attachment downloads; ``deleted_messages``: ids deleted by the bot;
      ``refused_identifies``: IDENTIFY payloads closed with 4014 (privileged intents not enabled);
      ``errors``: tracebacks of fake-internal errors (should stay empty).
    """

    #: How often :meth:`wait_until` re-checks even without a state change (for predicates on bot state).
    POLL_INTERVAL = 0.05
    #: A component is used no sooner than this many seconds after its message was last written. discord.py
    #: binds a view to its message only once the REST response is back; a click racing that response
    #: would be dropped silently. No human clicks that fast, so waiting is faithful, and it removes a race.
    SETTLE_DELAY = 0.02

    def __init__(self, *, token: str = "fake-bot-token", heartbeat_interval_ms: int = 41250,
                 heartbeat_ack_delay: float = 0.01, ack_deadline: float | None = None,
                 enabled_intents: int = PRIVILEGED_INTENTS, shards: int = 1) -> None:
        """
        :param token: the bot token the fake accepts (REST ``Authorization: Bot ...`` and IDENTIFY).
        :param heartbeat_interval_ms: sent in HELLO; small values let a test watch the heartbeat cadence.
        :param heartbeat_ack_delay: seconds between receiving op 1 and sending its ACK (op 11); the reader
            is not held up meanwhile. A zero round trip races discord.py's keep-alive thread, which sets
            its send time only after the send completes: an ACK processed before that makes
            ``bot.latency`` read a whole heartbeat interval. 10 ms, a fast real round trip, avoids it.
        :param ack_deadline: if set, interaction callbacks arriving later than this many seconds after
            INTERACTION_CREATE fail with 10062 "Unknown interaction", as on Discord (3 s there). Off by
            default so a slow CI machine cannot make tests flaky; ``interactions[iid]["acked_at"]`` minus
            ``["created_at"]`` lets a test assert the latency instead.
        :param enabled_intents: the privileged intents enabled for the app in the developer portal. As on
            Discord, an IDENTIFY asking for a privileged intent outside them is closed with 4014
            "Disallowed intent(s)." (``enabled_intents=0``: a bot whose owner never enabled Message Content).
        :param shards: the shard count GET /gateway/bot recommends. As on Discord, a connection that
            identifies as shard ``[id, count]`` gets the events of the servers with
            ``(guild_id >> 22) % count == id`` (READY and GUILD_CREATE list only those) and, on shard 0, DMs.
        """
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.heartbeat_ack_delay = heartbeat_ack_delay
        self.ack_deadline = ack_deadline
        self.enabled_intents = enabled_intents
        self.shards = shards
        self._last_snowflake = 0
        self._counter = itertools.count()

        # ---- world ----------------------------------------------------------------------------------
        self.app_id = self.snowflake()
        self.bot_user: Json = self._make_user("TestBot", None, bot=True)
        self.bot_user["id"] = self.app_id
        self.human: Json = self._make_user("alice", "Alice")
        self.admin: Json = self._make_user("bob", "Bob")
        self.moderator: Json = self._make_user("carol", "Carol")
        self.other_bot: Json = self._make_user("OtherBot", None, bot=True)
        self.users: dict[str, Json] = {u["id"]: u for u in
                                       (self.bot_user, self.human, self.admin, self.moderator, self.other_bot)}

        self.guild_id = self.snowflake()
        self.admin_role_id = self.snowflake()
        self.mod_role_id = self.snowflake()
        self.bot_role_id = self.snowflake()
        self.roles: dict[str, Json] = {
            self.guild_id: self._make_role(self.guild_id, "@everyone", DEFAULT_MEMBER_PERMISSIONS, 0),
            self.admin_role_id: self._make_role(self.admin_role_id, "Admins", ALL_PERMISSIONS, 3),
            self.mod_role_id: self._make_role(self.mod_role_id, "Docs team",
                                              MANAGE_MESSAGES | MANAGE_THREADS, 2),
            self.bot_role_id: self._make_role(self.bot_role_id, "TestBot", ALL_PERMISSIONS & ~ADMINISTRATOR, 1,
                                              managed=True, tags={"bot_id": self.app_id}),
        }
        self.owner_id = self.admin["id"]
        self.members: dict[str, Json] = {
            self.app_id: self._make_member(self.bot_user, [self.bot_role_id]),
            self.human["id"]: self._make_member(self.human, []),
            self.admin["id"]: self._make_member(self.admin, [self.admin_role_id]),
            self.moderator["id"]: self._make_member(self.moderator, [self.mod_role_id]),
            self.other_bot["id"]: self._make_member(self.other_bot, []),
        }
        #: Every server by id: name, owner, roles and members (the first server's are ``roles``/``members``).
        self.guilds: dict[str, Json] = {self.guild_id: {"id": self.guild_id, "name": "Test Guild",
                                                        "owner_id": self.owner_id, "roles": self.roles,
                                                        "members": self.members}}

        self.channel_id = self.snowflake()
        self.other_channel_id = self.snowflake()
        self.dm_channel_id = self.snowflake()
        self.forum_channel_id = self.snowflake()
        self.channels: dict[str, Json] = {
            self.channel_id: self._make_text_channel(self.channel_id, "general", 0),
            self.other_channel_id: self._make_text_channel(self.other_channel_id, "questions", 1),
            self.dm_channel_id: self._make_dm_channel(self.dm_channel_id, self.human),
            self.forum_channel_id: self._make_forum_channel(self.forum_channel_id, "help", 2),
        }
        self._dm_by_user: dict[str, str] = {self.human["id"]: self.dm_channel_id}

        self.application: Json = {
            "id": self.app_id, "name": "TestBot", "icon": None, "description": "", "summary": "",
            "bot_public": True, "bot_require_code_grant": False, "verify_key": "00" * 32,
            "owner": self.admin, "flags": 0, "team": None, "interactions_endpoint_url": None,
            "bot": self.bot_user, "rpc_origins": [], "tags": [], "approximate_guild_count": 1,
        }

        # ---- observation ----------------------------------------------------------------------------
        self.requests: list[Json] = []
        self.cdn_requests: list[Json] = []
        self.commands: dict[str, list[Json]] = {}
        self.channel_messages: dict[str, list[Json]] = {cid: [] for cid in self.channels}
        self.interactions: dict[str, Json] = {}
        self.heartbeats: list[Json] = []
        self.gateway_conns: list[GatewayConn] = []
        self.deleted_messages: list[str] = []
        self.refused_identifies: list[Json] = []
        self.errors: list[str] = []

        # ---- internals ------------------------------------------------------------------------------
        self._messages: dict[str, Json] = {}           # every live message by id, ephemeral ones included
        self._written: dict[str, float] = {}           # message id -> loop time of its last create/edit
        self._cdn: dict[str, tuple[bytes, str | None]] = {}   # attachment id -> (bytes, content type)
        self._sessions: dict[str, GatewayConn] = {}   # session id -> latest connection
        self._injections: list[_Injection] = []
        self._tasks: set[asyncio.Task[None]] = set()  # delayed heartbeat ACKs
        self._event = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._routes = self._build_routes()
        self.port = 0

    # ============================================================================================ lifecycle

    async def start(self) -> "FakeDiscord":
        """Start serving (TLS on 127.0.0.1, random port). Returns ``self``."""
        ssl_ctx = await asyncio.to_thread(_server_ssl_context)
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", r"/api/v{version:\d+}/{tail:.*}", self._rest)
        app.router.add_get("/attachments/{channel}/{attachment}/{filename:.*}", self._cdn_get)
        app.router.add_get("/", self._gateway)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock, ssl_context=ssl_ctx).start()
        return self

    async def stop(self) -> None:
        """Close gateway connections and the server. Close the bot first, or it will try to reconnect."""
        for task in list(self._tasks):
            task.cancel()
        for conn in self.gateway_conns:
            if not conn.ws.closed:
                await conn.ws.close(code=1001, message=b"fake shutting down")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._changed()

    async def __aenter__(self) -> "FakeDiscord":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``discord.Client``/``commands.Bot`` that aim it at this fake.

        Call inside the running event loop (aiohttp connectors bind to it), once per client: the client's
        HTTP session owns and closes the connector.
        """
        if not self.port:
            raise RuntimeError("FakeDiscord.client_kwargs() called before start()")
        return loopback_client_kwargs(self.port)

    @property
    def ca_file(self) -> str:
        """The certificate a client in another process must trust (with :func:`loopback_client_kwargs`)."""
        return _tls_files()[0]

    async def wait_bot_ready(self, bot: Any, runner: asyncio.Task[Any] | None = None,
                             timeout: float = 30.0) -> None:
        """Wait until ``bot.is_ready()``; if ``runner`` (the ``bot.start()`` task) ends first, re-raise.

        ``bot.wait_until_ready()`` cannot be awaited before login has run, hence polling.
        """
        await self.wait_until(lambda: bot.is_ready() or (runner is not None and runner.done()), timeout=timeout)
        if runner is not None and runner.done():
            runner.result()
            raise RuntimeError("bot.start() returned before the bot became ready")

    # ============================================================================================ helpers

    def snowflake(self, at: _dt.datetime | None = None) -> str:
        """A fresh, increasing snowflake whose timestamp is now (so ``created_at`` is sensible), or
        ``at`` for a message written earlier (older than the ids before it, as an old message's is)."""
        if at is not None:
            return str(((int(at.timestamp() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(self._counter) & 0xFFF))
        candidate = ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(self._counter) & 0xFFF)
        self._last_snowflake = max(candidate, self._last_snowflake + 1)
        return str(self._last_snowflake)

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _changed(self) -> None:
        """Wake every :meth:`wait_until` so it re-checks its predicate."""
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Wait until ``predicate()`` is truthy and return its value.

        Re-checked after every state change (REST request, gateway message, push) and at least every
        :attr:`POLL_INTERVAL` seconds, so predicates on the bot's own state work too. ``predicate`` may
        return an awaitable. Raises ``TimeoutError`` with the last REST requests, to ease debugging.
        ``timeout`` only decides when to give up: a passing wait returns as soon as the predicate holds, so
        the default is generous enough for a loaded 2-core machine.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = [f'{r["method"]} {r["path"]} -> {r.get("status")}' for r in self.requests[-8:]]
                raise TimeoutError(f"wait_until timed out after {timeout}s; last requests: {recent}; "
                                   f"fake errors: {self.errors[-3:]}")
            try:
                await asyncio.wait_for(self._event.wait(), min(remaining, self.POLL_INTERVAL))
            except asyncio.TimeoutError:
                pass

    def bot_messages(self, channel_id: str | None = None) -> list[Json]:
        """Live messages authored by the bot in ``channel_id`` (default: #general)."""
        return [m for m in self.channel_messages.get(str(channel_id or self.channel_id), [])
                if m["author"]["id"] == self.app_id]

    def attachment_data(self, attachment: Json) -> bytes:
        """The bytes of an attachment (one the bot uploaded, or a user's), as the CDN would serve them."""
        return self._cdn[attachment["id"]][0]

    def get_message(self, message_id: str | int) -> Json | None:
        """The live dict of any message the fake knows (ephemeral ones included), or None."""
        return self._messages.get(str(message_id))

    def member_permissions(self, user_id: str, guild_id: str | None = None) -> int:
        """Guild-level permissions of a member (of the first server by default): owner and ADMINISTRATOR
        mean everything."""
        guild = self.guilds[guild_id or self.guild_id]
        if user_id == guild["owner_id"]:
            return ALL_PERMISSIONS
        member = guild["members"].get(user_id)
        roles = guild["roles"]
        perms = int(roles[guild["id"]]["permissions"])
        for rid in (member or {}).get("roles", []):
            perms |= int(roles[rid]["permissions"])
        return ALL_PERMISSIONS if perms & ADMINISTRATOR else perms

    def add_guild(self, name: str, *, members: Sequence[Json] = (), owner: Json | None = None,
                  channels: Sequence[str] = ("general",), shard: tuple[int, int] | None = None) -> Json:
        """Add another server the bot is in, before the bot connects (READY lists every server).

        ``members`` are world users (the bot is always one); ``owner`` (default ``admin``) owns it. Each
        of ``channels`` becomes a text channel. The server has an @everyone role with the usual member
        permissions, an "Admins" role with ADMINISTRATOR (given to the owner) and a "Helpers" role without
        it. ``shard=(id, count)`` picks an id on that shard. Returns ``{"id", "name", "channel_ids",
        "admin_role_id", "helper_role_id"}``.
        """
        gid = self.snowflake()
        while shard is not None and not self.on_shard(gid, shard):
            self._last_snowflake += 1 << 22  # the next millisecond: the next shard
            gid = self.snowflake()
        owner = self._user_arg(owner or self.admin)
        admin_role, helper_role, bot_role = self.snowflake(), self.snowflake(), self.snowflake()
        roles = {
            gid: self._make_role(gid, "@everyone", DEFAULT_MEMBER_PERMISSIONS, 0),
            admin_role: self._make_role(admin_role, "Admins", ALL_PERMISSIONS, 3),
            helper_role: self._make_role(helper_role, "Helpers", MANAGE_MESSAGES, 2),
            bot_role: self._make_role(bot_role, "TestBot", ALL_PERMISSIONS & ~ADMINISTRATOR, 1, managed=True,
                                      tags={"bot_id": self.app_id}),
        }
        users = {u["id"]: self._user_arg(u) for u in (self.bot_user, owner, *members)}
        guild_members = {uid: self._make_member(user, [bot_role] if uid == self.app_id else
                                                [admin_role] if uid == owner["id"] else [])
                         for uid, user in users.items()}
        self.guilds[gid] = {"id": gid, "name": name, "owner_id": owner["id"], "roles": roles,
                            "members": guild_members}
        channel_ids = []
        for position, channel_name in enumerate(channels):
            cid = self.snowflake()
            self.channels[cid] = {**self._make_text_channel(cid, channel_name, position), "guild_id": gid}
            self.channel_messages[cid] = []
            channel_ids.append(cid)
        return {"id": gid, "name": name, "channel_ids": channel_ids, "admin_role_id": admin_role,
                "helper_role_id": helper_role}

    def guild_of(self, channel_id: str) -> str | None:
        """The server a channel belongs to (None for a DM; the first server for a channel that names none)."""
        if not self._is_guild_channel(channel_id):
            return None
        return self.channels.get(channel_id, {}).get("guild_id") or self.guild_id

    def inject_rate_limit(self, method: str, path_regex: str, retry_after: float = 0.2, count: int = 1) -> None:
        """Answer the next ``count`` REST calls matching ``method`` and ``path_regex`` (searched in the path
        after ``/api/vN``) with a 429 that discord.py must wait out and retry.

        The 429 carries ``Via``: without it discord.py assumes a Cloudflare ban and raises instead.
        """
        headers = {"Retry-After": str(retry_after), "Via": "1.1 google", "X-RateLimit-Scope": "user",
                   "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0",
                   "X-RateLimit-Reset-After": str(retry_after)}
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
        self._injections.append(_Injection(method.upper(), re.compile(path_regex), count, 429, body, headers))

    def inject_error(self, method: str, path_regex: str, status: int = 403, *, code: int = 50013,
                     message: str = "Missing Permissions", count: int = 1) -> None:
        """Answer the next ``count`` matching REST calls with an error (default 403 Missing Permissions)."""
        body = {"message": message, "code": code}
        self._injections.append(_Injection(method.upper(), re.compile(path_regex), count, status, body, {}))

    # ============================================================================================ world

    def _make_user(self, username: str, global_name: str | None, *, bot: bool = False) -> Json:
        user: Json = {"id": self.snowflake(), "username": username, "discriminator": "0",
                      "global_name": global_name, "avatar": None, "flags": 0, "public_flags": 0}
        if bot:
            user["bot"] = True
        return user

    @staticmethod
    def _make_role(rid: str, name: str, permissions: int, position: int, *, managed: bool = False,
                   tags: Json | None = None) -> Json:
        role: Json = {"id": rid, "name": name, "permissions": str(permissions), "position": position,
                      "color": 0, "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
                      "hoist": False, "managed": managed, "mentionable": False, "flags": 0, "icon": None,
                      "unicode_emoji": None}
        if tags is not None:
            role["tags"] = tags
        return role

    @staticmethod
    def _make_member(user: Json, roles: list[str]) -> Json:
        # discord.py reads member["flags"] unconditionally.
        return {"user": user, "roles": list(roles), "joined_at": _now_iso(), "deaf": False, "mute": False,
                "flags": 0, "nick": None, "avatar": None, "banner": None, "pending": False,
                "premium_since": None, "communication_disabled_until": None}

    def _make_text_channel(self, cid: str, name: str, position: int) -> Json:
        return {"id": cid, "type": 0, "guild_id": self.guild_id, "name": name, "position": position,
                "permission_overwrites": [], "nsfw": False, "topic": None, "parent_id": None,
                "rate_limit_per_user": 0, "last_message_id": None, "flags": 0,
                "default_thread_rate_limit_per_user": 0}

    def _make_forum_channel(self, cid: str, name: str, position: int) -> Json:
        """A forum channel as Discord sends it (discord.py's ForumChannel reads these fields)."""
        return {"id": cid, "type": CT_FORUM, "guild_id": self.guild_id, "name": name, "position": position,
                "permission_overwrites": [], "nsfw": False, "topic": "Ask the docs bot anything", "parent_id": None,
                "rate_limit_per_user": 0, "last_message_id": None, "flags": 0, "available_tags": [],
                "default_reaction_emoji": None, "default_sort_order": None, "default_forum_layout": 0,
                "default_auto_archive_duration": 1440, "default_thread_rate_limit_per_user": 0}

    def _make_thread(self, tid: str, parent_id: str, name: str, owner_id: str, *, thread_type: int = CT_PUBLIC_THREAD,
                     auto_archive_duration: int = 1440) -> Json:
        """A thread channel object: created, active, not locked."""
        now = _now_iso()
        guild_id = self.channels.get(parent_id, {}).get("guild_id", self.guild_id)
        return {"id": tid, "type": thread_type, "guild_id": guild_id, "parent_id": parent_id,
                "owner_id": owner_id, "name": name, "last_message_id": None, "rate_limit_per_user": 0,
                "message_count": 0, "member_count": 1, "total_message_sent": 0, "flags": 0, "applied_tags": [],
                "thread_metadata": {"archived": False, "auto_archive_duration": auto_archive_duration,
                                    "archive_timestamp": now, "locked": False, "create_timestamp": now}}

    def _make_dm_channel(self, cid: str, recipient: Json) -> Json:
        return {"id": cid, "type": 1, "recipients": [recipient], "last_message_id": None, "flags": 0}

    def _member_without_user(self, user_id: str, guild_id: str | None = None) -> Json | None:
        member = self.guilds[guild_id or self.guild_id]["members"].get(user_id)
        return None if member is None else {k: v for k, v in member.items() if k != "user"}

    def _is_guild_channel(self, channel_id: str) -> bool:
        return self.channels.get(channel_id, {}).get("type") != 1

    @property
    def guild(self) -> Json:
        """The GUILD_CREATE payload of the first server."""
        return self.guild_payload(self.guild_id)

    def guild_payload(self, guild_id: str) -> Json:
        """The GUILD_CREATE payload of a server."""
        guild = self.guilds[guild_id]
        return {
            "id": guild_id, "name": guild["name"], "icon": None, "splash": None, "discovery_splash": None,
            "banner": None, "description": None, "owner_id": guild["owner_id"], "unavailable": False,
            "large": False, "member_count": len(guild["members"]), "features": [], "emojis": [], "stickers": [],
            "roles": list(guild["roles"].values()),
            "channels": [c for c in self.channels.values()
                         if c["type"] not in (1, *THREAD_TYPES) and c.get("guild_id") == guild_id],
            "threads": [t for t in self.active_threads() if t.get("guild_id") == guild_id],
            "members": list(guild["members"].values()), "presences": [], "voice_states": [],
            "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
            "preferred_locale": "en-US", "premium_tier": 0, "premium_subscription_count": 0,
            "system_channel_id": None, "system_channel_flags": 0, "rules_channel_id": None,
            "public_updates_channel_id": None, "verification_level": 0, "default_message_notifications": 0,
            "explicit_content_filter": 0, "mfa_level": 0, "nsfw_level": 0, "afk_timeout": 300,
            "afk_channel_id": None, "vanity_url_code": None, "max_members": 500000, "joined_at": _now_iso(),
            "premium_progress_bar_enabled": False, "application_id": None,
        }

    # ============================================================================================ messages

    def _parse_mentions(self, content: str, channel_id: str) -> tuple[list[Json], list[str], bool]:
        """``<@id>``/``<@!id>`` user mentions, ``<@&id>`` role mentions and @everyone/@here in ``content``."""
        in_guild = self._is_guild_channel(channel_id)
        gid = self.guild_of(channel_id)
        mentions: list[Json] = []
        seen: set[str] = set()
        for uid in re.findall(r"<@!?(\d+)>", content):
            if uid in seen or uid not in self.users:
                continue
            seen.add(uid)
            entry = dict(self.users[uid])
            member = self._member_without_user(uid, gid) if gid else None
            if in_guild and member is not None:
                entry["member"] = member
            mentions.append(entry)
        guild_roles = self.guilds[gid]["roles"] if gid else {}
        roles = [rid for rid in dict.fromkeys(re.findall(r"<@&(\d+)>", content)) if rid in guild_roles]
        everyone = in_guild and ("@everyone" in content or "@here" in content)
        return mentions, roles, everyone

    def _new_message(self, channel_id: str, author: Json, content: str, **extra: Any) -> Json:
        mentions, mention_roles, everyone = self._parse_mentions(content, channel_id)
        msg: Json = {
            "id": self.snowflake(), "channel_id": channel_id, "author": author, "content": content,
            "timestamp": _now_iso(), "edited_timestamp": None, "tts": False, "mention_everyone": everyone,
            "mentions": mentions, "mention_roles": mention_roles, "attachments": [], "embeds": [],
            "pinned": False, "type": MSG_DEFAULT, "flags": 0, "components": [],
        }
        if self._is_guild_channel(channel_id):
            msg["guild_id"] = self.guild_of(channel_id)
            if author["id"] != self.app_id:
                member = self._member_without_user(author["id"], msg["guild_id"])
                if member is not None:
                    msg["member"] = member
        msg.update(extra)
        return msg

    def _store_attachment(self, channel_id: str, filename: str, data: bytes, content_type: str | None,
                          **extra: Any) -> Json:
        """Register bytes on the fake CDN and return the attachment object that points at them."""
        aid = self.snowflake()
        # The filename is kept as given (even "../x.md": a bot must sanitise it), but quoted whole in the URL.
        quoted = urllib.parse.quote(filename, safe="")
        self._cdn[aid] = (bytes(data), content_type)
        att: Json = {"id": aid, "filename": filename, "size": len(data),
                     "url": f"https://cdn.discordapp.com/attachments/{channel_id}/{aid}/{quoted}",
                     "proxy_url": f"https://media.discordapp.net/attachments/{channel_id}/{aid}/{quoted}",
                     "flags": 0}
        if content_type:
            att["content_type"] = content_type
        att.update(extra)
        return att

    def _uploaded_attachments(self, channel_id: str, body: Json, files: list[Json]) -> list[Json]:
        """Attachment objects for files uploaded in a multipart request (``files[i]`` <-> attachments id i)."""
        described = {str(a.get("id")): a for a in body.get("attachments") or [] if isinstance(a, dict)}
        out = []
        for i, f in enumerate(files):
            m = re.fullmatch(r"files\[(\d+)\]", f["name"] or "")
            meta = described.get(m.group(1) if m else str(i), {})
            extra = {"description": meta["description"]} if meta.get("description") else {}
            out.append(self._store_attachment(channel_id, meta.get("filename") or f["filename"] or "file",
                                              f["bytes"], f.get("content_type"), **extra))
        return out

    def _bot_message(self, channel_id: str, body: Json, files: list[Json], **extra: Any) -> Json:
        """A message authored by the bot from a create-message style body; keeps embeds/components as sent."""
        msg = self._new_message(channel_id, self.bot_user, body.get("content") or "",
                                embeds=body.get("embeds") or [], components=body.get("components") or [],
                                flags=int(body.get("flags") or 0), tts=bool(body.get("tts")), **extra)
        msg["attachments"] = self._uploaded_attachments(channel_id, body, files)
        if body.get("nonce") is not None:
            msg["nonce"] = body["nonce"]
        ref = body.get("message_reference")
        if ref and ref.get("message_id") is not None:
            # discord.py sends snowflakes as ints here; Discord answers with strings.
            ref_id = str(ref["message_id"])
            ref_channel = str(ref.get("channel_id") or channel_id)
            msg["type"] = MSG_REPLY
            msg["message_reference"] = {"type": int(ref.get("type") or 0), "message_id": ref_id,
                                        "channel_id": ref_channel}
            if "guild_id" in msg:
                msg["message_reference"]["guild_id"] = msg["guild_id"]
            referenced = self._messages.get(ref_id)
            msg["referenced_message"] = copy.deepcopy(referenced) if referenced else None
            if referenced:
                msg["referenced_message"].pop("referenced_message", None)
        return msg

    def _add_message(self, msg: Json, *, visible: bool = True) -> None:
        self._messages[msg["id"]] = msg
        self._written[msg["id"]] = self._now()
        if visible:
            self.channel_messages.setdefault(msg["channel_id"], []).append(msg)
            channel = self.channels.get(msg["channel_id"])
            if channel is not None:
                channel["last_message_id"] = msg["id"]

    def _remove_message(self, msg: Json) -> None:
        self._messages.pop(msg["id"], None)
        msgs = self.channel_messages.get(msg["channel_id"], [])
        for i, m in enumerate(msgs):
            if m is msg:
                del msgs[i]
                break
        self.deleted_messages.append(msg["id"])

    def _apply_edit(self, msg: Json, body: Json, files: list[Json]) -> None:
        """Apply an edit body (PATCH message / webhook message / callback 7) to a live message."""
        if "content" in body:
            msg["content"] = body["content"] or ""
            mentions, roles, everyone = self._parse_mentions(msg["content"], msg["channel_id"])
            msg.update(mentions=mentions, mention_roles=roles, mention_everyone=everyone)
        for key in ("embeds", "components"):
            if key in body:
                msg[key] = body[key] or []
        if body.get("flags") is not None:
            # Ephemerality cannot change; LOADING is cleared by the callers that finish a defer.
            msg["flags"] = (msg["flags"] & (FLAG_EPHEMERAL | FLAG_LOADING)) | (
                int(body["flags"]) & ~(FLAG_EPHEMERAL | FLAG_LOADING))
        new = self._uploaded_attachments(msg["channel_id"], body, files)
        if body.get("attachments") is not None:
            keep = {str(a.get("id")) for a in body["attachments"] if isinstance(a, dict)}
            msg["attachments"] = [a for a in msg["attachments"] if a["id"] in keep] + new
        else:
            msg["attachments"] = msg["attachments"] + new
        msg["edited_timestamp"] = _now_iso()
        self._written[msg["id"]] = self._now()

    @staticmethod
    def _is_ephemeral(msg: Json) -> bool:
        return bool(msg.get("flags", 0) & FLAG_EPHEMERAL)

    # ============================================================================================ gateway

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        query = dict(request.query)
        if query.get("encoding", "json") != "json":
            await ws.close(code=4002, message=b"fake_discord only speaks encoding=json")
            return ws
        try:
            compressor = _Compressor(query.get("compress"))
        except ValueError as e:
            await ws.close(code=4002, message=str(e).encode()[:120])
            return ws
        conn = GatewayConn(index=len(self.gateway_conns), ws=ws, compressor=compressor, query=query)
        self.gateway_conns.append(conn)
        await conn.send({"op": 10, "s": None, "t": None,
                         "d": {"heartbeat_interval": self.heartbeat_interval_ms, "_trace": ["fake-discord"]}})
        self._changed()
        try:
            async for raw in ws:
                if raw.type == aiohttp.WSMsgType.TEXT:
                    payload = json.loads(raw.data)
                elif raw.type == aiohttp.WSMsgType.BINARY:
                    payload = json.loads(raw.data.decode())
                else:
                    break
                conn.received.append(payload)
                try:
                    await self._on_gateway_op(conn, payload)
                except Exception:  # pragma: no cover - a fake bug; surface it to the test
                    self.errors.append(traceback.format_exc())
                    _log.exception("fake_discord gateway handler failed")
                self._changed()
        finally:
            self._changed()
        return ws

    async def _on_gateway_op(self, conn: GatewayConn, payload: Json) -> None:
        op = payload.get("op")
        d: Any = payload.get("d") if payload.get("d") is not None else {}
        if op == 1:  # HEARTBEAT -> ACK (after heartbeat_ack_delay, without holding up the reader)
            beat: Json = {"conn": conn, "seq": payload.get("d"), "t_received": self._now(), "t_acked": None}
            self.heartbeats.append(beat)
            if self.heartbeat_ack_delay > 0:
                task = asyncio.create_task(self._ack_heartbeat(conn, beat, self.heartbeat_ack_delay))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            else:
                await self._ack_heartbeat(conn, beat, 0)
        elif op == 2:  # IDENTIFY
            if d.get("token") != self.token:
                await conn.ws.close(code=4004, message=b"Authentication failed.")
                return
            intents = int(d.get("intents") or 0)
            if intents & PRIVILEGED_INTENTS & ~self.enabled_intents:
                self.refused_identifies.append(payload)
                await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
                return
            shard = d.get("shard") or [0, 1]
            if not (isinstance(shard, list) and len(shard) == 2 and 0 <= int(shard[0]) < int(shard[1])):
                await conn.ws.close(code=4010, message=b"Invalid shard.")
                return
            conn.shard = (int(shard[0]), int(shard[1]))
            conn.identified, conn.intents = True, intents
            conn.session_id = self.snowflake()
            self._sessions[conn.session_id] = conn
            ready: Json = {
                "v": API_VERSION, "user": self.bot_user,
                "guilds": [{"id": gid, "unavailable": True} for gid in self.guilds if self.on_shard(gid, conn.shard)],
                "session_id": conn.session_id, "resume_gateway_url": "wss://gateway.discord.gg",
                "application": {"id": self.app_id, "flags": 0}, "private_channels": [], "relationships": [],
                "presences": [], "guild_join_requests": [], "user_settings": {}, "session_type": "normal",
                "geo_ordered_rtc_regions": [], "_trace": ["fake-discord"],
            }
            if d.get("shard") is not None:
                ready["shard"] = d["shard"]
            await conn.dispatch("READY", ready)
            for gid in self.guilds:
                if self.on_shard(gid, conn.shard):
                    await conn.dispatch("GUILD_CREATE", self.guild_payload(gid))
        elif op == 6:  # RESUME
            previous = self._sessions.get(str(d.get("session_id")))
            if previous is None or d.get("token") != self.token:
                await conn.send({"op": 9, "s": None, "t": None, "d": False})
                return
            previous.identified = False  # events now go to the resumed connection only
            conn.identified, conn.resumed = True, True
            conn.session_id, conn.intents, conn.shard = previous.session_id, previous.intents, previous.shard
            conn.seq = int(d.get("seq") or 0)
            self._sessions[conn.session_id] = conn
            await conn.dispatch("RESUMED", {"_trace": ["fake-discord"]})
        elif op == 8:  # REQUEST_GUILD_MEMBERS
            members = list(self.guilds[str(d["guild_id"])]["members"].values())
            if d.get("user_ids"):
                wanted = {str(u) for u in (d["user_ids"] if isinstance(d["user_ids"], list) else [d["user_ids"]])}
                members = [m for m in members if m["user"]["id"] in wanted]
            await conn.dispatch("GUILD_MEMBERS_CHUNK", {
                "guild_id": str(d["guild_id"]), "members": members, "chunk_index": 0, "chunk_count": 1,
                "not_found": [], "nonce": d.get("nonce")})
        # op 3 (presence) and op 4 (voice state) are accepted and ignored.

    async def _ack_heartbeat(self, conn: GatewayConn, beat: Json, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        await conn.send({"op": 11, "s": None, "t": None, "d": None})
        beat["t_acked"] = self._now()
        self._changed()

    def _event_for(self, conn: GatewayConn, event: str, data: Json) -> Json | None:
        """What ``conn`` should receive for ``event``: None when its intents exclude it.

        Like Discord: guild messages need GUILD_MESSAGES, DMs need DIRECT_MESSAGES, and without
        MESSAGE_CONTENT the content/embeds/attachments/components of guild messages are blanked unless the
        bot wrote the message or is mentioned in it.
        """
        if event not in ("MESSAGE_CREATE", "MESSAGE_UPDATE"):
            return data
        intents = conn.intents or 0
        in_guild = "guild_id" in data
        if not intents & (INTENT_GUILD_MESSAGES if in_guild else INTENT_DIRECT_MESSAGES):
            return None
        if in_guild and "member" not in data and data["author"]["id"] in self.guilds[data["guild_id"]]["members"]:
            data = {**data, "member": self._member_without_user(data["author"]["id"], data["guild_id"])}
        visible = (not in_guild or intents & INTENT_MESSAGE_CONTENT or data["author"]["id"] == self.app_id
                   or any(m["id"] == self.app_id for m in data.get("mentions", [])))
        if not visible:
            data = {**data, "content": "", "embeds": [], "attachments": [], "components": []}
            data.pop("poll", None)
        return data

    @staticmethod
    def shard_of(guild_id: str | int | None, shard_count: int) -> int:
        """The shard that gets a server's events, as Discord computes it; DMs (no server) go to shard 0."""
        return 0 if guild_id is None else (int(guild_id) >> 22) % shard_count

    def on_shard(self, guild_id: str | int | None, shard: tuple[int, int]) -> bool:
        return self.shard_of(guild_id, shard[1]) == shard[0]

    @staticmethod
    def _event_guild(event: str, data: Json) -> str | None:
        if event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"):
            return data.get("id")
        return data.get("guild_id")

    async def broadcast(self, event: str, data: Json) -> None:
        """Dispatch a gateway event to every identified connection (respecting intents) whose shard has the
        event's server (DMs: shard 0)."""
        guild_id = self._event_guild(event, data)
        for conn in list(self.gateway_conns):
            if conn.identified and not conn.ws.closed and self.on_shard(guild_id, conn.shard):
                payload = self._event_for(conn, event, data)
                if payload is not None:
                    await conn.dispatch(event, payload)
        self._changed()

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT on the live connections; discord.py reconnects and RESUMEs."""
        for conn in self.gateway_conns:
            if conn.identified and not conn.ws.closed:
                await conn.send({"op": 7, "s": None, "t": None, "d": None})

    # ============================================================================================ drivers

    def _user_arg(self, user: Json | None) -> Json:
        user = user or self.human
        if user["id"] not in self.users:
            raise ValueError(f"unknown user {user!r}")
        return self.users[user["id"]]

    def _channel_arg(self, channel_id: str | int | None) -> str:
        cid = str(channel_id or self.channel_id)
        if cid not in self.channels:
            raise ValueError(f"unknown channel {cid}; known: {list(self.channels)}")
        return cid

    async def push_message(self, content: str, *, author: Json | None = None, channel_id: str | None = None,
                           mention_bot: bool = False, attachments: Iterable[FileSpec] | None = None,
                           written_at: _dt.datetime | None = None, reply_to: Json | None = None,
                           ping: bool = True) -> Json:
        """A user posts ``content`` (MESSAGE_CREATE). Returns the message dict.

        ``reply_to`` makes it a reply (type 19) to that message, in its channel; with ``ping`` (Discord's
        default) the replied-to author is among its mentions, though no ``<@id>`` is in its text.

        ``mention_bot`` prefixes ``<@bot>``; mentions are parsed from ``<@id>``. ``author`` defaults to
        ``human`` and may be any world user (``other_bot`` included). ``channel_id`` may be
        ``dm_channel_id`` (the event then has no guild_id, as DMs do). ``attachments`` are
        ``(filename, bytes[, content_type])`` tuples, downloadable from the fake CDN. ``written_at``
        (timezone-aware) dates the message earlier than now: its id and timestamp say when it was written.
        """
        author = self._user_arg(author)
        cid = self._channel_arg(channel_id or (reply_to["channel_id"] if reply_to is not None else None))
        if self.channels[cid]["type"] in (CT_FORUM, CT_MEDIA):
            raise ValueError("messages cannot be sent in a forum channel: open a post with push_forum_post()")
        refused = await self._unarchive_for(cid, author["id"])
        if refused is not None:
            raise ValueError(f"{author['username']} cannot write in thread {cid}: {refused[1]['message']}")
        if mention_bot:
            content = f"<@{self.app_id}> {content}"
        dated = {} if written_at is None else {"id": self.snowflake(written_at), "timestamp": written_at.isoformat()}
        msg = self._new_message(cid, author, content, **dated)
        if reply_to is not None:
            msg["type"] = MSG_REPLY
            msg["message_reference"] = {"type": 0, "message_id": reply_to["id"], "channel_id": reply_to["channel_id"]}
            if "guild_id" in msg:
                msg["message_reference"]["guild_id"] = msg["guild_id"]
            msg["referenced_message"] = copy.deepcopy(reply_to)
            msg["referenced_message"].pop("referenced_message", None)
            replied = self.users.get(reply_to["author"]["id"], reply_to["author"])
            if ping and all(u["id"] != replied["id"] for u in msg["mentions"]):
                msg["mentions"].append(dict(replied))
        for spec in attachments or ():
            filename, data, *rest = spec
            msg["attachments"].append(self._store_attachment(cid, filename, data, rest[0] if rest else None))
        self._add_message(msg)
        await self.broadcast("MESSAGE_CREATE", msg)
        return msg

    # ---- application commands --------------------------------------------------------------------

    def _find_command(self, name: str, channel_id: str, ctype: int = CMD_CHAT_INPUT) -> tuple[Json | None, str | None]:
        """The registered command called ``name`` of type ``ctype`` (the channel's server's registration
        first, then the global one) and its guild id."""
        gid = self.guild_of(channel_id)
        scopes = [(gid, gid), ("global", None)] if gid else [("global", None)]
        for key, scope in scopes:
            for cmd in self.commands.get(key, []):
                if cmd["name"] == name and cmd.get("type", 1) == ctype:
                    return cmd, scope
        return None, None

    def _command_payload(self, name: str, options: Mapping[str, Any] | None, channel_id: str,
                         attachments: Mapping[str, FileSpec] | None, focused: str | None,
                         stale_client: bool = False) -> Json:
        """``data`` of a chat-input or autocomplete interaction, typed after the registered definition.

        ``stale_client`` sends a command where Discord's client would not offer it (a guild-only command in
        a DM), as an outdated or modified client can.
        """
        top, *subs = name.split()
        cmd, gid = self._find_command(top, channel_id)
        if cmd is None:
            registered = sorted({c["name"] for cs in self.commands.values() for c in cs})
            raise ValueError(f"/{top} is not registered (registered: {registered}); did the bot sync its tree?")
        contexts = cmd.get("contexts")
        if not stale_client and not self._is_guild_channel(channel_id) and (
                cmd.get("dm_permission") is False or (contexts is not None and 1 not in contexts)):
            raise ValueError(f"/{top} is not available in DMs (guild_only / contexts)")
        defs: list[Json] = cmd.get("options") or []
        resolved: Json = {}
        leaf = self._build_options(name, defs, subs, dict(options or {}), dict(attachments or {}), channel_id,
                                   focused, resolved)
        data: Json = {"id": cmd["id"], "name": top, "type": 1, "options": leaf}
        if gid is not None:
            data["guild_id"] = gid  # discord.py looks the command up among guild commands only if present
        if resolved:
            data["resolved"] = resolved
        return data

    def _build_options(self, full_name: str, defs: list[Json], subs: list[str], values: dict[str, Any],
                       attachments: dict[str, FileSpec], channel_id: str, focused: str | None,
                       resolved: Json) -> list[Json]:
        if subs:
            sub = next((d for d in defs if d["name"] == subs[0] and d.get("type") in (1, 2)), None)
            if sub is None:
                raise ValueError(f"/{full_name}: no subcommand {subs[0]!r}")
            inner = self._build_options(full_name, sub.get("options") or [], subs[1:], values, attachments,
                                        channel_id, focused, resolved)
            return [{"name": sub["name"], "type": sub["type"], "options": inner}]
        by_name = {d["name"]: d for d in defs}
        if focused is not None and focused not in values:
            values[focused] = ""
        out: list[Json] = []
        for opt_name in list(values) + [n for n in attachments if n not in values]:
            definition = by_name.get(opt_name)
            if definition is None:
                raise ValueError(f"/{full_name} has no option {opt_name!r} (options: {sorted(by_name)})")
            otype = int(definition["type"])
            is_focused = opt_name == focused
            if opt_name in attachments:
                if otype != 11:
                    raise ValueError(f"/{full_name}: option {opt_name!r} is not an attachment option")
                filename, blob, *rest = attachments[opt_name]
                att = self._store_attachment(channel_id, filename, blob, rest[0] if rest else None, ephemeral=True)
                resolved.setdefault("attachments", {})[att["id"]] = att
                value: Any = att["id"]
            else:
                value = self._option_value(full_name, definition, values[opt_name], is_focused, resolved,
                                           self.guild_of(channel_id))
            opt: Json = {"name": opt_name, "type": otype, "value": value}
            if is_focused:
                opt["focused"] = True
            out.append(opt)
        if focused is None:
            given = {o["name"] for o in out}
            missing = [d["name"] for d in defs if d.get("required") and d["name"] not in given]
            if missing:
                raise ValueError(f"/{full_name}: missing required option(s) {missing}")
        return out

    def _option_value(self, full_name: str, definition: Json, value: Any, focused: bool, resolved: Json,
                      guild_id: str | None = None) -> Any:
        """Coerce a driver value to what Discord sends for the option type; fill ``resolved`` for ids."""
        otype = int(definition["type"])
        if focused and otype in (3, 4, 10):
            return str(value)  # autocomplete sends what the user has typed so far
        if otype == 3:
            value = str(value)
        elif otype == 4:
            value = int(value)
        elif otype == 5:
            value = value.strip().lower() in ("1", "true", "yes", "on") if isinstance(value, str) else bool(value)
        elif otype == 10:
            value = float(value) if isinstance(value, str) else value
        elif otype in (6, 9) and (isinstance(value, dict) or str(value) in self.users):
            uid = str(value["id"] if isinstance(value, dict) else value)
            resolved.setdefault("users", {})[uid] = self.users[uid]
            member = self._member_without_user(uid, guild_id) if guild_id else None
            if member is not None:
                member["permissions"] = str(self.member_permissions(uid, guild_id))
                resolved.setdefault("members", {})[uid] = member
            return uid
        elif otype in (8, 9):
            rid = str(value["id"] if isinstance(value, dict) else value)
            resolved.setdefault("roles", {})[rid] = self.guilds[guild_id or self.guild_id]["roles"][rid]
            return rid
        elif otype == 7:
            cid = str(value["id"] if isinstance(value, dict) else value)
            ch = self.channels[cid]
            resolved.setdefault("channels", {})[cid] = {
                "id": cid, "name": ch.get("name"), "type": ch["type"], "parent_id": ch.get("parent_id"),
                "permissions": str(ALL_PERMISSIONS), "flags": 0}
            return cid
        choices = definition.get("choices")
        if choices and value not in [c["value"] for c in choices]:
            raise ValueError(f"/{full_name}: {value!r} is not one of the choices of {definition['name']!r}")
        return value

    def _interaction_payload(self, itype: int, data: Json, user: Json, channel_id: str,
                             message: Json | None = None) -> Json:
        """An INTERACTION_CREATE payload; in a guild ``member.permissions`` reflects the user's roles."""
        iid = self.snowflake()
        channel = dict(self.channels[channel_id])
        payload: Json = {
            "id": iid, "application_id": self.app_id, "type": itype, "token": f"fake-itoken-{iid}",
            "version": 1, "channel_id": channel_id, "data": data, "locale": "en-US", "entitlements": [],
            "app_permissions": str(self.member_permissions(self.app_id)),
            "authorizing_integration_owners": {"0": self.guild_of(channel_id) or self.guild_id},
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,  # read unconditionally by discord.py
        }
        gid = self.guild_of(channel_id)
        if gid is not None:
            perms = self.member_permissions(user["id"], gid)
            member = copy.deepcopy(self.guilds[gid]["members"][user["id"]])
            member["permissions"] = str(perms)
            channel["permissions"] = str(perms)
            payload.update(guild_id=gid, guild_locale="en-US", member=member, context=0,
                           guild={"id": gid, "locale": "en-US", "features": []})
        else:
            payload.update(user=user, context=1)
        payload["channel"] = channel
        if message is not None:
            payload["message"] = copy.deepcopy(message)
        return payload

    async def _new_interaction(self, itype: int, data: Json, user: Json, channel_id: str,
                               message: Json | None = None, parent: str | None = None) -> str:
        """Record (see the class docstring for the record's keys) and dispatch an interaction."""
        payload = self._interaction_payload(itype, data, user, channel_id, message)
        iid = payload["id"]
        self.interactions[iid] = {
            "id": iid, "token": payload["token"], "type": itype, "channel_id": channel_id, "user": user,
            "data": data, "payload": payload, "message_id": message["id"] if message else None,
            "parent": parent, "created_at": self._now(), "acked_at": None, "callbacks": [], "original": None,
            "followups": [], "edits": [], "updates": [], "autocomplete_choices": None, "modal": None,
            "log": [], "_own": {},
        }
        await self.broadcast("INTERACTION_CREATE", payload)
        return iid

    async def push_slash_command(self, name: str, options: Mapping[str, Any] | None = None, *,
                                 user: Json | None = None, channel_id: str | None = None,
                                 attachments: Mapping[str, FileSpec] | None = None,
                                 stale_client: bool = False) -> str:
        """A user runs ``/name`` (INTERACTION_CREATE type 2). Returns the interaction id.

        ``options`` maps option name -> value (str for type 3, int 4, bool 5, float 10; a user dict or id
        for user/mentionable options, an id for channel/role ones). Each option is typed, and its value
        coerced, after the command's registered definition, so what the bot receives matches what Discord
        would send for what the bot declared. ``attachments`` maps an attachment option's name to
        ``(filename, bytes[, content_type])``; ``data.resolved.attachments`` then holds a full attachment
        whose ``url`` the fake CDN serves. ``name`` may be ``"group sub"`` for subcommands.
        Raises ``ValueError`` for what Discord's client would not let a user send (unregistered command,
        unknown or missing required option, value outside the choices), except that ``stale_client`` sends
        a guild-only command from a DM, as an outdated or modified client can.
        """
        user = self._user_arg(user)
        cid = self._channel_arg(channel_id)
        data = self._command_payload(name, options, cid, attachments, None, stale_client)
        return await self._new_interaction(IT_COMMAND, data, user, cid)

    async def push_autocomplete(self, name: str, options: Mapping[str, Any] | None, focused: str, *,
                                user: Json | None = None, channel_id: str | None = None,
                                stale_client: bool = False) -> str:
        """A user types in option ``focused`` of ``/name`` (INTERACTION_CREATE type 4). Returns the id; the
        bot's answer lands in ``interactions[iid]["autocomplete_choices"]``. ``stale_client`` as in
        :meth:`push_slash_command`."""
        user = self._user_arg(user)
        cid = self._channel_arg(channel_id)
        data = self._command_payload(name, options, cid, None, focused, stale_client)
        return await self._new_interaction(IT_AUTOCOMPLETE, data, user, cid)

    async def push_message_command(self, name: str, message: Json | str | int, *, user: Json | None = None) -> str:
        """A user picks the message context-menu command ``name`` (right-click a message → Apps) on
        ``message`` (INTERACTION_CREATE type 2, command type 3). Returns the interaction id.

        As on Discord, ``data.resolved.messages`` holds the whole target message, its content included
        whatever the bot's intents (the Message Content intent does not apply to a context menu's target).
        """
        user = self._user_arg(user)
        target = self._live_message(message)
        cid = target["channel_id"]
        cmd, gid = self._find_command(name, cid, CMD_MESSAGE)
        if cmd is None:
            registered = sorted({c["name"] for cs in self.commands.values() for c in cs
                                 if c.get("type") == CMD_MESSAGE})
            raise ValueError(f"no message command {name!r} is registered (registered: {registered})")
        resolved_message = copy.deepcopy(target)
        resolved_message.pop("referenced_message", None)
        data: Json = {"id": cmd["id"], "name": name, "type": CMD_MESSAGE, "target_id": target["id"],
                      "resolved": {"messages": {target["id"]: resolved_message}}}
        if gid is not None:
            data["guild_id"] = gid
        return await self._new_interaction(IT_COMMAND, data, user, cid)

    @staticmethod
    def _walk_components(components: Iterable[Json]) -> Iterable[Json]:
        for comp in components or ():
            yield comp
            yield from FakeDiscord._walk_components(comp.get("components") or [])
            for key in ("accessory", "component"):
                if isinstance(comp.get(key), dict):
                    yield from FakeDiscord._walk_components([comp[key]])

    def _live_message(self, message: Json | str | int) -> Json:
        mid = str(message["id"] if isinstance(message, dict) else message)
        live = self._messages.get(mid)
        if live is None:
            raise ValueError(f"message {mid} is unknown to the fake (deleted?)")
        return live

    async def _settle(self, since: float | None) -> None:
        if since is not None:
            delay = since + self.SETTLE_DELAY - self._now()
            if delay > 0:
                await asyncio.sleep(delay)

    async def _push_component(self, message: Json | str | int, custom_id: str, component_types: set[int],
                              extra: Json, user: Json | None) -> str:
        user = self._user_arg(user)
        live = self._live_message(message)
        comp = next((c for c in self._walk_components(live.get("components") or [])
                     if c.get("custom_id") == custom_id), None)
        if comp is None:
            ids = [c.get("custom_id") for c in self._walk_components(live.get("components") or [])
                   if c.get("custom_id")]
            raise ValueError(f"no component {custom_id!r} on message {live['id']} (custom_ids: {ids})")
        if comp["type"] not in component_types:
            raise ValueError(f"component {custom_id!r} has type {comp['type']}, expected {component_types}")
        if comp.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled; a user cannot use it")
        data = {"custom_id": custom_id, "component_type": comp["type"], **extra}
        await self._settle(self._written.get(live["id"]))
        return await self._new_interaction(IT_COMPONENT, data, user, live["channel_id"], message=live)

    async def click_button(self, message: Json | str | int, custom_id: str, *, user: Json | None = None) -> str:
        """A user clicks button ``custom_id`` on ``message`` (a message dict or id: channel messages,
        interaction responses and followups, ephemeral ones too). INTERACTION_CREATE type 3 carrying the
        message's current state. Returns the interaction id."""
        return await self._push_component(message, custom_id, {2}, {}, user)

    async def select_menu(self, message: Json | str | int, custom_id: str, values: Sequence[str], *,
                          user: Json | None = None) -> str:
        """A user picks ``values`` in select menu ``custom_id`` on ``message``. Returns the interaction id."""
        return await self._push_component(message, custom_id, {3, 5, 6, 7, 8}, {"values": list(values)}, user)

    async def submit_modal(self, iid: str, values: Mapping[str, Any], *, user: Json | None = None) -> str:
        """Submit the modal the bot opened (callback 9) in answer to interaction ``iid``.

        ``values`` maps a text input's custom_id to its text (a select's to a list). Returns the new
        interaction id (INTERACTION_CREATE type 5).
        """
        parent = self.interactions[iid]
        modal = parent["modal"]
        if modal is None:
            raise ValueError(f"interaction {iid} did not open a modal")
        components = self._modal_submit_components(modal.get("components") or [], values)
        data = {"custom_id": modal["custom_id"], "components": components}
        message = self._messages.get(parent["message_id"]) if parent["message_id"] else None
        await self._settle(parent["acked_at"])
        return await self._new_interaction(IT_MODAL, data, self._user_arg(user or parent["user"]),
                                           parent["channel_id"], message=message, parent=iid)

    def _modal_submit_components(self, components: list[Json], values: Mapping[str, Any]) -> list[Json]:
        out: list[Json] = []
        for comp in components:
            ctype = comp.get("type")
            if ctype == 1:
                out.append({"type": 1, "components": self._modal_submit_components(comp.get("components") or [],
                                                                                    values)})
            elif ctype == 18 and isinstance(comp.get("component"), dict):  # Label
                inner = self._modal_submit_components([comp["component"]], values)
                if inner:
                    out.append({"type": 18, "id": comp.get("id"), "component": inner[0]})
            elif comp.get("custom_id"):
                value = values.get(comp["custom_id"])
                if ctype == 4:
                    text = "" if value is None else str(value)
                    out.append({"type": 4, "custom_id": comp["custom_id"], "value": text})
                else:
                    out.append({"type": ctype, "custom_id": comp["custom_id"], "values": list(value or [])})
        return out

    # ============================================================================================ REST

    def _build_routes(self) -> list[tuple[str, re.Pattern[str], _Handler, bool]]:
        """(method, path pattern, handler, needs bot auth). Interaction/webhook routes use the token in the
        URL instead of ``Authorization``, like Discord."""
        sf = r"(?P<{}>\d+)"
        tok = r"(?P<token>[^/]+)"
        wh_msg = rf"/webhooks/{sf.format('app')}/{tok}/messages/(?P<mid>@original|\d+)"
        table: list[tuple[str, str, _Handler, bool]] = [
            ("GET", r"/gateway", self._h_gateway, False),
            ("GET", r"/gateway/bot", self._h_gateway_bot, True),
            ("GET", r"/users/@me", self._h_me, True),
            ("GET", rf"/users/{sf.format('user')}", self._h_user, True),
            ("POST", r"/users/@me/channels", self._h_create_dm, True),
            ("GET", r"/oauth2/applications/@me", self._h_application, True),
            ("GET", r"/applications/@me", self._h_application, True),
            ("PUT", rf"/applications/{sf.format('app')}/commands", self._h_put_commands, True),
            ("GET", rf"/applications/{sf.format('app')}/commands", self._h_get_commands, True),
            ("PUT", rf"/applications/{sf.format('app')}/guilds/{sf.format('guild')}/commands",
             self._h_put_commands, True),
            ("GET", rf"/applications/{sf.format('app')}/guilds/{sf.format('guild')}/commands",
             self._h_get_commands, True),
            ("GET", rf"/guilds/{sf.format('guild')}", self._h_get_guild, True),
            ("GET", rf"/guilds/{sf.format('guild')}/channels", self._h_get_guild_channels, True),
            ("GET", rf"/guilds/{sf.format('guild')}/roles", self._h_get_guild_roles, True),
            ("GET", rf"/guilds/{sf.format('guild')}/members/{sf.format('user')}", self._h_get_member, True),
            ("GET", rf"/channels/{sf.format('channel')}", self._h_get_channel, True),
            ("GET", rf"/channels/{sf.format('channel')}/messages", self._h_history, True),
            ("POST", rf"/channels/{sf.format('channel')}/messages", self._h_post_message, True),
            ("GET", rf"/channels/{sf.format('channel')}/messages/{sf.format('message')}", self._h_get_message,
             True),
            ("PATCH", rf"/channels/{sf.format('channel')}/messages/{sf.format('message')}",
             self._h_patch_message, True),
            ("DELETE", rf"/channels/{sf.format('channel')}/messages/{sf.format('message')}",
             self._h_delete_message, True),
            ("PUT", rf"/channels/{sf.format('channel')}/messages/{sf.format('message')}/reactions/"
                    r"(?P<emoji>[^/]+)/@me", self._h_add_reaction, True),
            ("DELETE", rf"/channels/{sf.format('channel')}/messages/{sf.format('message')}/reactions/"
                       r"(?P<emoji>[^/]+)/@me", self._h_remove_reaction, True),
            ("POST", rf"/channels/{sf.format('channel')}/typing", self._h_typing, True),
            ("POST", rf"/channels/{sf.format('channel')}/messages/{sf.format('message')}/threads",
             self._h_start_thread_from_message, True),
            ("POST", rf"/interactions/{sf.format('iid')}/{tok}/callback", self._h_callback, False),
            ("POST", rf"/webhooks/{sf.format('app')}/{tok}", self._h_followup, False),
            ("GET", wh_msg, self._h_get_webhook_message, False),
            ("PATCH", wh_msg, self._h_edit_webhook_message, False),
            ("DELETE", wh_msg, self._h_delete_webhook_message, False),
        ]
        return [(m, re.compile(p), h, auth) for m, p, h, auth in table]

    @staticmethod
    async def _read_body(request: web.Request) -> tuple[Any, list[Json]]:
        """JSON body, or ``payload_json`` plus uploaded files of a multipart body."""
        if not request.can_read_body:
            return None, []
        if request.content_type.startswith("multipart/"):
            payload: Any = None
            files: list[Json] = []
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, aiohttp.BodyPartReader):  # nested multipart: not used by Discord
                    continue
                data = bytes(await part.read(decode=False))
                if part.name == "payload_json":
                    payload = json.loads(data)
                else:
                    files.append({"name": part.name, "filename": part.filename, "bytes": data,
                                  "content_type": part.headers.get("Content-Type")})
            return payload, files
        raw = await request.read()
        return (json.loads(raw) if raw else None), []

    def _ratelimit_headers(self, bucket: str) -> dict[str, str]:
        return {"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "49", "X-RateLimit-Reset-After": "60.000",
                "X-RateLimit-Reset": f"{time.time() + 60:.3f}", "X-RateLimit-Bucket": bucket,
                "Via": "1.1 google"}

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        method, path = request.method, "/" + request.match_info["tail"]
        rec: Json = {"method": method, "path": path, "query": dict(request.query), "json": None, "files": [],
                     "status": None, "auth": request.headers.get("Authorization"), "host": request.host,
                     "agent": request.headers.get("User-Agent", ""),
                     "t": self._now()}
        self.requests.append(rec)
        try:
            try:
                rec["json"], rec["files"] = await self._read_body(request)
            except (ValueError, aiohttp.ClientError) as e:
                rec["status"] = 400
                return _json_response({"message": f"fake_discord: unreadable body: {e}", "code": 50109}, 400)
            for inj in self._injections:
                if inj.count > 0 and inj.method == method and inj.pattern.search(path):
                    inj.count -= 1
                    rec["status"], rec["injected"] = inj.status, True
                    return _json_response(inj.body, inj.status, inj.headers)
            for route_method, pattern, handler, needs_auth in self._routes:
                match = pattern.fullmatch(path) if route_method == method else None
                if match is None:
                    continue
                if needs_auth and rec["auth"] != f"Bot {self.token}":
                    rec["status"] = 401
                    return _json_response({"message": "401: Unauthorized", "code": 0}, 401)
                call = _Call(request=request, body=rec["json"], files=rec["files"], query=request.query)
                try:
                    status, data = await handler(call, **match.groupdict())
                except Exception as e:
                    # A fake bug: fail fast with a 4xx (discord.py would retry a 5xx for seconds).
                    self.errors.append(traceback.format_exc())
                    _log.exception("fake_discord handler failed for %s %s", method, path)
                    status, data = _error(400, f"fake_discord internal error: {e!r}")
                rec["status"] = status
                if status >= 400 and isinstance(data, dict):
                    rec["error"] = data.get("message")
                headers = self._ratelimit_headers(f"fake-{pattern.pattern.__hash__() & 0xFFFFFF:x}")
                if status == 204:
                    return web.Response(status=204, headers=headers)
                return _json_response(data, status, headers)
            rec["status"] = 404
            return _json_response({"message": f"fake_discord: no route for {method} {path}", "code": 0}, 404)
        finally:
            self._changed()

    async def _not_found(self, request: web.Request) -> web.StreamResponse:
        return web.Response(status=404, text=f"fake_discord: nothing at {request.path}")

    async def _cdn_get(self, request: web.Request) -> web.StreamResponse:
        """Attachment download (``Attachment.read()`` uses the bot's session, so it comes through here)."""
        aid = request.match_info["attachment"]
        stored = self._cdn.get(aid)
        self.cdn_requests.append({"host": request.host, "path": request.path, "attachment_id": aid,
                                  "status": 200 if stored else 404, "t": self._now()})
        self._changed()
        if stored is None:
            return web.Response(status=404, text="asset not found")
        data, content_type = stored
        return web.Response(body=data, content_type=content_type or "application/octet-stream")

    # ---- handlers: each returns (status, json) --------------------------------------------------------

    async def _h_gateway(self, call: _Call) -> tuple[int, Any]:
        return 200, {"url": "wss://gateway.discord.gg"}

    async def _h_gateway_bot(self, call: _Call) -> tuple[int, Any]:
        return 200, {"url": "wss://gateway.discord.gg", "shards": self.shards,
                     "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0,
                                             "max_concurrency": 1}}

    async def _h_me(self, call: _Call) -> tuple[int, Any]:
        return 200, self.bot_user

    async def _h_user(self, call: _Call, user: str) -> tuple[int, Any]:
        return (200, self.users[user]) if user in self.users else _error(404, "Unknown User", 10013)

    async def _h_application(self, call: _Call) -> tuple[int, Any]:
        # As on Discord, the flags say which privileged intents the developer portal enabled (the _LIMITED
        # flags: a bot in fewer than 100 servers).
        flags = int(self.application.get("flags") or 0)
        for intent, flag in ((INTENT_GUILD_PRESENCES, 1 << 13), (INTENT_GUILD_MEMBERS, 1 << 15),
                             (INTENT_MESSAGE_CONTENT, 1 << 19)):
            if self.enabled_intents & intent:
                flags |= flag
        return 200, {**self.application, "flags": flags}

    async def _h_create_dm(self, call: _Call) -> tuple[int, Any]:
        uid = str((call.body or {}).get("recipient_id"))
        if uid not in self.users:
            return _error(400, "Invalid Recipient(s)", 50033)
        cid = self._dm_by_user.get(uid)
        if cid is None:
            cid = self.snowflake()
            self._dm_by_user[uid] = cid
            self.channels[cid] = self._make_dm_channel(cid, self.users[uid])
            self.channel_messages[cid] = []
        return 200, self.channels[cid]

    _COMMAND_NAME = re.compile(r"^[-_a-z0-9\u00C0-\uFFFF]{1,32}$")

    def _validate_command(self, cmd: Json) -> str | None:
        """A few of Discord's checks, so that a payload Discord would reject fails here too."""
        ctype = cmd.get("type", 1)
        name = cmd.get("name", "")
        if ctype == 1:
            if not self._COMMAND_NAME.match(name):
                return f"invalid command name {name!r}"
            if not 1 <= len(cmd.get("description") or "") <= 100:
                return f"/{name}: description must be 1-100 characters"
        elif not 1 <= len(name) <= 32:
            return f"invalid command name {name!r}"

        def check_options(options: list[Json], where: str) -> str | None:
            if len(options) > 25:
                return f"{where}: more than 25 options"
            seen_optional = False
            for opt in options:
                if not self._COMMAND_NAME.match(opt.get("name", "")):
                    return f"{where}: invalid option name {opt.get('name')!r}"
                if not 1 <= len(opt.get("description") or "") <= 100:
                    return f"{where} {opt['name']}: description must be 1-100 characters"
                if opt.get("type") in (1, 2):
                    problem = check_options(opt.get("options") or [], f"{where} {opt['name']}")
                    if problem:
                        return problem
                elif opt.get("required"):
                    if seen_optional:
                        return f"{where}: required option {opt['name']!r} after an optional one"
                else:
                    seen_optional = True
            return None

        return check_options(cmd.get("options") or [], f"/{name}") if ctype == 1 else None

    async def _h_put_commands(self, call: _Call, app: str, guild: str | None = None) -> tuple[int, Any]:
        """Bulk overwrite. Returns each command with id (stable per name, as on Discord), application_id,
        version and every field as sent (``default_member_permissions`` too: discord.py sends an int,
        Discord would answer a string; discord.py accepts both)."""
        if app != self.app_id:
            return _error(403, "Missing Access", 50001)
        if guild is not None and guild not in self.guilds:
            return _error(404, "Unknown Guild", 10004)
        body = call.body or []
        if len(body) > 100:
            return _error(400, "Invalid Form Body: more than 100 commands", 50035)
        key = guild or "global"
        previous = {(c.get("type", 1), c["name"]): c for c in self.commands.get(key, [])}
        out: list[Json] = []
        for cmd in body:
            problem = self._validate_command(cmd)
            if problem:
                return _error(400, f"Invalid Form Body: {problem}", 50035)
            prev = previous.get((cmd.get("type", 1), cmd["name"]))
            registered: Json = {"type": 1, "description": "", "options": [], "default_member_permissions": None,
                                "dm_permission": True, "nsfw": False, **copy.deepcopy(cmd),
                                "id": prev["id"] if prev else self.snowflake(), "application_id": self.app_id,
                                "version": self.snowflake()}
            if guild is not None:
                registered["guild_id"] = guild
            out.append(registered)
        self.commands[key] = out
        return 200, out

    async def _h_get_commands(self, call: _Call, app: str, guild: str | None = None) -> tuple[int, Any]:
        return 200, self.commands.get(guild or "global", [])

    async def _h_get_guild(self, call: _Call, guild: str) -> tuple[int, Any]:
        if guild not in self.guilds:
            return _error(404, "Unknown Guild", 10004)
        data = {k: v for k, v in self.guild_payload(guild).items()
                if k not in ("channels", "members", "threads", "presences", "voice_states", "joined_at")}
        return 200, {**data, "approximate_member_count": len(self.guilds[guild]["members"]),
                     "approximate_presence_count": 0}

    async def _h_get_guild_channels(self, call: _Call, guild: str) -> tuple[int, Any]:
        if guild not in self.guilds:
            return _error(404, "Unknown Guild", 10004)
        return 200, [c for c in self.channels.values() if c["type"] != 1 and self.guild_of(c["id"]) == guild]

    async def _h_get_guild_roles(self, call: _Call, guild: str) -> tuple[int, Any]:
        if guild not in self.guilds:
            return _error(404, "Unknown Guild", 10004)
        return 200, list(self.guilds[guild]["roles"].values())

    async def _h_get_member(self, call: _Call, guild: str, user: str) -> tuple[int, Any]:
        if guild not in self.guilds or user not in self.guilds[guild]["members"]:
            return _error(404, "Unknown Member", 10007)
        return 200, self.guilds[guild]["members"][user]

    async def _h_get_channel(self, call: _Call, channel: str) -> tuple[int, Any]:
        return (200, self.channels[channel]) if channel in self.channels else _error(404, "Unknown Channel", 10003)

    async def _h_history(self, call: _Call, channel: str) -> tuple[int, Any]:
        if channel not in self.channels:
            return _error(404, "Unknown Channel", 10003)
        msgs = sorted(self.channel_messages.get(channel, []), key=lambda m: int(m["id"]), reverse=True)
        q = call.query
        if "before" in q:
            msgs = [m for m in msgs if int(m["id"]) < int(q["before"])]
        if "after" in q:
            msgs = [m for m in msgs if int(m["id"]) > int(q["after"])]
        return 200, msgs[: int(q.get("limit", 50))]

    async def _h_post_message(self, call: _Call, channel: str) -> tuple[int, Any]:
        if channel not in self.channels:
            return _error(404, "Unknown Channel", 10003)
        if self.channels[channel]["type"] in (CT_FORUM, CT_MEDIA):
            return _error(400, "Cannot send messages in a non-text channel", 50008)
        body = call.body or {}
        problem = _body_error(body, call.files, creating=True)
        if problem:
            return problem
        refused = await self._unarchive_for(channel, self.app_id)
        if refused is not None:
            return refused
        msg = self._bot_message(channel, body, call.files)
        self._add_message(msg)
        await self.broadcast("MESSAGE_CREATE", msg)  # Discord echoes the bot's own messages too
        return 200, msg

    def _channel_message(self, channel: str, message: str) -> Json | None:
        msg = self._messages.get(message)
        return msg if msg is not None and msg["channel_id"] == channel else None

    async def _h_get_message(self, call: _Call, channel: str, message: str) -> tuple[int, Any]:
        msg = self._channel_message(channel, message)
        return (200, msg) if msg and not self._is_ephemeral(msg) else _error(404, "Unknown Message", 10008)

    async def _h_patch_message(self, call: _Call, channel: str, message: str) -> tuple[int, Any]:
        msg = self._channel_message(channel, message)
        if msg is None or self._is_ephemeral(msg):
            return _error(404, "Unknown Message", 10008)
        if msg["author"]["id"] != self.app_id:
            return _error(403, "Cannot edit a message authored by another user", 50005)
        problem = _body_error(call.body or {}, call.files, creating=False)
        if problem:
            return problem
        self._apply_edit(msg, call.body or {}, call.files)
        await self.broadcast("MESSAGE_UPDATE", msg)
        return 200, msg

    async def _h_delete_message(self, call: _Call, channel: str, message: str) -> tuple[int, Any]:
        msg = self._channel_message(channel, message)
        if msg is None or self._is_ephemeral(msg):
            return _error(404, "Unknown Message", 10008)
        self._remove_message(msg)
        await self._broadcast_delete(msg)
        return 204, None

    async def _broadcast_delete(self, msg: Json) -> None:
        if self._is_ephemeral(msg):
            return
        data = {"id": msg["id"], "channel_id": msg["channel_id"]}
        if "guild_id" in msg:
            data["guild_id"] = msg["guild_id"]
        await self.broadcast("MESSAGE_DELETE", data)

    async def _h_add_reaction(self, call: _Call, channel: str, message: str, emoji: str) -> tuple[int, Any]:
        msg = self._channel_message(channel, message)
        if msg is None:
            return _error(404, "Unknown Message", 10008)
        name = urllib.parse.unquote(emoji)
        reactions = msg.setdefault("reactions", [])
        entry = next((r for r in reactions if r["emoji"]["name"] == name), None)
        if entry is None:
            reactions.append({"emoji": {"id": None, "name": name}, "count": 1, "me": True,
                              "count_details": {"normal": 1, "burst": 0}, "burst_colors": [], "me_burst": False})
        elif not entry["me"]:
            entry["me"] = True
            entry["count"] += 1
        return 204, None

    async def _h_remove_reaction(self, call: _Call, channel: str, message: str, emoji: str) -> tuple[int, Any]:
        msg = self._channel_message(channel, message)
        if msg is None:
            return _error(404, "Unknown Message", 10008)
        name = urllib.parse.unquote(emoji)
        for r in list(msg.get("reactions", [])):
            if r["emoji"]["name"] == name and r["me"]:
                r["me"], r["count"] = False, r["count"] - 1
                if r["count"] <= 0:
                    msg["reactions"].remove(r)
        return 204, None

    async def _h_typing(self, call: _Call, channel: str) -> tuple[int, Any]:
        return (204, None) if channel in self.channels else _error(404, "Unknown Channel", 10003)

    # ---- interactions -------------------------------------------------------------------------------

    def _interaction_by_token(self, token: str) -> Json | None:
        return next((it for it in self.interactions.values() if it["token"] == token), None)

    def _interaction_message(self, it: Json, body: Json, files: list[Json], *, flags: int) -> Json:
        """A message created on behalf of interaction ``it`` (callback 4/5 or a followup)."""
        owner = self.guild_of(it["channel_id"]) or self.guild_id
        metadata: Json = {"id": it["id"], "type": it["type"], "user": it["user"],
                          "authorizing_integration_owners": {"0": owner}}
        extra: Json = {"webhook_id": self.app_id, "application_id": self.app_id, "interaction_metadata": metadata}
        if it["type"] == IT_COMMAND:
            metadata["name"] = it["data"]["name"]
            context_menu = it["data"].get("type", CMD_CHAT_INPUT) != CMD_CHAT_INPUT
            extra["type"] = MSG_CONTEXT_MENU_COMMAND if context_menu else MSG_CHAT_INPUT
            if context_menu:
                metadata["target_message_id"] = it["data"].get("target_id")
            # The deprecated field; discord.py still parses it (needs id, type, name, user).
            extra["interaction"] = {"id": it["id"], "type": it["type"], "name": it["data"]["name"],
                                    "user": it["user"]}
        elif it["message_id"]:
            metadata["interacted_message_id"] = it["message_id"]
        msg = self._bot_message(it["channel_id"], body, files, **extra)
        msg["flags"] = flags
        return msg

    async def _h_callback(self, call: _Call, iid: str, token: str) -> tuple[int, Any]:
        """``POST /interactions/{id}/{token}/callback[?with_response=1]``.

        With ``with_response`` discord.py expects ``{"interaction": {...}, "resource": {"type", "message"?}}``
        and reads ``response_message_id`` from it to bind views sent with the response.
        """
        it = self.interactions.get(iid)
        if it is None or it["token"] != token:
            return _error(404, "Unknown interaction", 10062)
        now = self._now()
        if self.ack_deadline is not None and now - it["created_at"] > self.ack_deadline:
            return _error(404, "Unknown interaction", 10062)
        if it["acked_at"] is not None:
            return _error(400, "Interaction has already been acknowledged.", 40060)
        body = call.body or {}
        cb_type = int(body.get("type", 0))
        if cb_type not in ALLOWED_CALLBACKS[it["type"]]:
            return _error(400, f"Invalid Form Body: callback type {cb_type} is not valid for interaction "
                               f"type {it['type']}", 50035)
        data = body.get("data") or {}
        if cb_type in (4, 7):
            problem = _body_error(data, call.files, creating=cb_type == 4)
            if problem:
                return problem
        it["callbacks"].append(body)
        it["acked_at"] = now
        interaction: Json = {"id": iid, "type": it["type"]}
        resource: Json = {"type": cb_type}
        content = ""
        if cb_type in (4, 5):
            if cb_type == 4:
                flags = int(data.get("flags") or 0)
                msg = self._interaction_message(it, data, call.files, flags=flags)
            else:  # deferred: an empty "is thinking..." message that the first followup will fill in
                flags = (int(data.get("flags") or 0) & FLAG_EPHEMERAL) | FLAG_LOADING
                msg = self._interaction_message(it, {}, [], flags=flags)
            ephemeral = self._is_ephemeral(msg)
            self._add_message(msg, visible=not ephemeral)
            it["original"] = msg
            it["_own"][msg["id"]] = msg
            content = msg["content"]
            interaction.update(response_message_id=msg["id"], response_message_loading=cb_type == 5,
                               response_message_ephemeral=ephemeral)
            resource["message"] = msg
            if not ephemeral:
                await self.broadcast("MESSAGE_CREATE", msg)
        elif cb_type in (6, 7):
            target = self._messages.get(it["message_id"] or "")
            if target is None:
                return _error(404, "Unknown Message", 10008)
            it["original"] = target
            if cb_type == 7:
                self._apply_edit(target, data, call.files)
                it["updates"].append(copy.deepcopy(target))
                content = target["content"]
                resource["message"] = target
                if not self._is_ephemeral(target):
                    await self.broadcast("MESSAGE_UPDATE", target)
            interaction.update(response_message_id=target["id"], response_message_loading=False,
                               response_message_ephemeral=self._is_ephemeral(target))
        elif cb_type == 8:
            it["autocomplete_choices"] = data.get("choices", [])
        elif cb_type == 9:
            it["modal"] = data
        it["log"].append(("callback", cb_type, content))
        if call.query.get("with_response") in _TRUE:
            return 200, {"interaction": interaction, "resource": resource}
        return 204, None

    async def _h_followup(self, call: _Call, app: str, token: str) -> tuple[int, Any]:
        """``POST /webhooks/{app}/{token}``: a followup. After a deferred callback 5 the first followup fills
        in the "thinking" message instead of creating one, as Discord does (its ephemerality stays that of
        the defer), unless that message was deleted: then the followup is a new message of its own."""
        it = self._interaction_by_token(token)
        if it is None or app != self.app_id or it["acked_at"] is None:
            return _error(404, "Unknown Webhook", 10015)
        body = call.body or {}
        problem = _body_error(body, call.files, creating=True)
        if problem:
            return problem
        original = it["original"]
        if original is not None and original["id"] in self._messages and original["flags"] & FLAG_LOADING:
            self._apply_edit(original, {k: v for k, v in body.items() if k != "flags"}, call.files)
            original["flags"] = (original["flags"] & ~FLAG_LOADING) | (
                int(body.get("flags") or 0) & ~(FLAG_EPHEMERAL | FLAG_LOADING))
            original["edited_timestamp"] = None
            msg = original
            it["log"].append(("followup-edits-original", msg["content"]))
            if not self._is_ephemeral(msg):
                await self.broadcast("MESSAGE_UPDATE", msg)
        else:
            msg = self._interaction_message(it, body, call.files, flags=int(body.get("flags") or 0))
            ephemeral = self._is_ephemeral(msg)
            self._add_message(msg, visible=not ephemeral)
            it["_own"][msg["id"]] = msg
            it["log"].append(("followup", msg["content"]))
            if not ephemeral:
                await self.broadcast("MESSAGE_CREATE", msg)
        it["followups"].append(copy.deepcopy(msg))
        return (200, msg) if call.query.get("wait") in _TRUE else (204, None)

    def _webhook_message(self, it: Json, mid: str) -> Json | None:
        """The message ``mid`` (``@original`` or an id) of interaction ``it``, unless deleted."""
        original = it["original"]
        if mid == "@original":
            msg = original
        else:
            msg = it["_own"].get(mid) or (original if original is not None and original["id"] == mid else None)
        return msg if msg is not None and msg["id"] in self._messages else None

    async def _h_get_webhook_message(self, call: _Call, app: str, token: str, mid: str) -> tuple[int, Any]:
        it = self._interaction_by_token(token)
        msg = self._webhook_message(it, mid) if it else None
        return (200, msg) if msg is not None else _error(404, "Unknown Message", 10008)

    async def _h_edit_webhook_message(self, call: _Call, app: str, token: str, mid: str) -> tuple[int, Any]:
        """``PATCH .../messages/{@original|id}``; also ends a "thinking" defer."""
        it = self._interaction_by_token(token)
        msg = self._webhook_message(it, mid) if it else None
        if it is None or msg is None:
            return _error(404, "Unknown Message", 10008)
        body = call.body or {}
        problem = _body_error(body, call.files, creating=False)
        if problem:
            return problem
        self._apply_edit(msg, body, call.files)
        msg["flags"] &= ~FLAG_LOADING
        it["edits"].append({"mid": mid, "message_id": msg["id"], "body": body, "files": call.files,
                            "message": copy.deepcopy(msg)})
        it["log"].append(("edit", mid, msg["content"]))
        if not self._is_ephemeral(msg):
            await self.broadcast("MESSAGE_UPDATE", msg)
        return 200, msg

    async def _h_delete_webhook_message(self, call: _Call, app: str, token: str, mid: str) -> tuple[int, Any]:
        it = self._interaction_by_token(token)
        msg = self._webhook_message(it, mid) if it else None
        if it is None or msg is None:
            return _error(404, "Unknown Message", 10008)
        self._remove_message(msg)
        it["log"].append(("delete", mid))
        await self._broadcast_delete(msg)
        return 204, None

    # ---- threads and forum channels ---------------------------------------------------------------------

    def active_threads(self) -> list[Json]:
        """Threads that are not archived (what GUILD_CREATE lists)."""
        return [c for c in self.channels.values()
                if c["type"] in THREAD_TYPES and not c["thread_metadata"]["archived"]]

    def threads_of(self, channel_id: str) -> list[Json]:
        """Live dicts of the threads of a channel (a text channel's threads or a forum's posts), oldest first."""
        return [c for c in self.channels.values() if c["type"] in THREAD_TYPES and c["parent_id"] == str(channel_id)]

    def _add_thread(self, thread: Json) -> None:
        self.channels[thread["id"]] = thread
        self.channel_messages.setdefault(thread["id"], [])

    async def _unarchive_for(self, channel_id: str, sender_id: str) -> tuple[int, Json] | None:
        """Before ``sender_id`` writes in ``channel_id``: an archived thread is unarchived (THREAD_UPDATE), as
        Discord does on send, unless it is locked and the sender lacks Manage Threads (then the error)."""
        thread = self.channels.get(channel_id)
        if thread is None or thread["type"] not in THREAD_TYPES or not thread["thread_metadata"]["archived"]:
            return None
        meta = thread["thread_metadata"]
        if meta["locked"] and not self.member_permissions(sender_id) & MANAGE_THREADS:
            return _error(400, "Thread is locked", 160005)
        meta.update(archived=False, archive_timestamp=_now_iso())
        await self.broadcast("THREAD_UPDATE", copy.deepcopy(thread))
        return None

    async def archive_thread(self, thread_id: str, *, locked: bool = False) -> None:
        """Discord archives a thread (inactivity, or a moderator): THREAD_UPDATE with ``archived`` (and
        ``locked``) set. discord.py then drops it from its cache."""
        thread = self.channels[str(thread_id)]
        thread["thread_metadata"].update(archived=True, locked=locked, archive_timestamp=_now_iso())
        await self.broadcast("THREAD_UPDATE", copy.deepcopy(thread))

    async def delete_thread(self, thread_id: str) -> None:
        """A moderator deletes a thread: THREAD_DELETE with the id, guild, parent and type only, as Discord sends it."""
        thread = self.channels.pop(str(thread_id))
        await self.broadcast("THREAD_DELETE", {k: thread[k] for k in ("id", "guild_id", "parent_id", "type")})

    async def push_forum_post(self, title: str, content: str, *, author: Json | None = None,
                              forum_id: str | None = None) -> tuple[Json, Json]:
        """A user opens a post in a forum channel: THREAD_CREATE (``newly_created``) for the post's thread, then
        MESSAGE_CREATE for its first message, which has the thread's id, as Discord sends them. Returns
        ``(thread, message)``."""
        author = self._user_arg(author)
        forum = self.channels[str(forum_id or self.forum_channel_id)]
        if forum["type"] not in (CT_FORUM, CT_MEDIA):
            raise ValueError(f"channel {forum['id']} is not a forum channel")
        if not 1 <= len(title) <= 100:
            raise ValueError("a post's title has 1 to 100 characters")
        tid = self.snowflake()
        thread = self._make_thread(tid, forum["id"], title, author["id"],
                                   auto_archive_duration=forum["default_auto_archive_duration"])
        self._add_thread(thread)
        forum["last_message_id"] = tid
        await self.broadcast("THREAD_CREATE", {**copy.deepcopy(thread), "newly_created": True})
        msg = self._new_message(tid, author, content, id=tid)
        thread["last_message_id"] = tid
        self._add_message(msg)
        await self.broadcast("MESSAGE_CREATE", msg)
        return thread, msg

    async def _h_start_thread_from_message(self, call: _Call, channel: str, message: str) -> tuple[int, Any]:
        """``POST /channels/{c}/messages/{m}/threads``: a public thread on a message of a text or announcement
        channel, with the message's id; THREAD_CREATE and MESSAGE_UPDATE (the starter gains ``thread``)."""
        parent = self.channels.get(channel)
        if parent is None:
            return _error(404, "Unknown Channel", 10003)
        if parent["type"] not in (CT_TEXT, CT_ANNOUNCEMENT):
            return _error(400, "Cannot execute action on this channel type", 50024)
        starter = self._channel_message(channel, message)
        if starter is None:
            return _error(404, "Unknown Message", 10008)
        if message in self.channels:
            return _error(400, "A thread has already been created for this message", 160004)
        body = call.body or {}
        name = str(body.get("name") or "")
        if not 1 <= len(name) <= 100:
            return _error(400, f"Invalid Form Body: name: Must be between 1 and 100 in length (got {len(name)}).", 50035)
        duration = body.get("auto_archive_duration")
        if duration is not None and int(duration) not in ARCHIVE_DURATIONS:
            return _error(400, "Invalid Form Body: auto_archive_duration: Value must be one of (60, 1440, 4320, 10080).",
                          50035)
        thread = self._make_thread(message, channel, name, self.app_id,
                                   thread_type=CT_ANNOUNCEMENT_THREAD if parent["type"] == CT_ANNOUNCEMENT
                                   else CT_PUBLIC_THREAD,
                                   auto_archive_duration=int(duration or parent.get("default_auto_archive_duration", 1440)))
        self._add_thread(thread)
        await self.broadcast("THREAD_CREATE", {**copy.deepcopy(thread), "newly_created": True})
        starter["thread"] = copy.deepcopy(thread)
        starter["flags"] = int(starter.get("flags") or 0) | FLAG_HAS_THREAD
        await self.broadcast("MESSAGE_UPDATE", starter)
        return 201, thread
