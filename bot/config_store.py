"""Each server's own settings (``/config``), stored in the bot's database and cached in memory.

A server stores only what its admins changed: one row per setting (a :class:`bot.server_config.ServerConfig`
field, its value as JSON). Everything else comes from the deployment's ``.env`` defaults, so a server that
never used ``/config`` follows the ``.env`` file, and changing the file changes it on the next start.
:meth:`ServerConfigStore.get` answers from memory (it is called for every message), and a change is
written, logged and put in memory in one step, so it applies to the next message or command at once.

Several bot processes share the database (``DOCBOT_DATABASE_URL``), so another process may have changed a
server's settings since they were read. Before the bot handles a server's message or command it calls
:meth:`ServerConfigStore.refresh`, a cheap version check: the number of the server's rows in
``server_settings_log`` and the time of the latest (one look-up in its ``(guild_id, changed_at)`` index). Every
change and reset adds rows there in the same transaction, so a different version means the server's settings
changed elsewhere, and only then are its rows read again. (``updated_at`` of ``server_settings`` alone would
miss a reset, which deletes the row.)

Every change also leaves a row in ``server_settings_log`` (server, setting, old and new value, the user who
changed it and when) and a log line, so admins can tell who changed what.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from bot.database import Connection, Migration, Store
from bot.server_config import ServerConfig

log = logging.getLogger(__name__)

MIGRATIONS: tuple[Migration, ...] = (
    (
        "server-config-1",
        (
            """CREATE TABLE IF NOT EXISTS server_settings (
                guild_id    BIGINT NOT NULL,
                name        TEXT   NOT NULL,            -- a ServerConfig field
                value       TEXT   NOT NULL,            -- JSON
                updated_at  DOUBLE PRECISION NOT NULL,
                updated_by  BIGINT NOT NULL,
                PRIMARY KEY (guild_id, name)
            )""",
            """CREATE TABLE IF NOT EXISTS server_settings_log (
                guild_id    BIGINT NOT NULL,
                name        TEXT   NOT NULL,
                old_value   TEXT,                       -- JSON; NULL: the .env default applied
                new_value   TEXT,                       -- JSON; NULL: reset to the .env default
                user_id     BIGINT NOT NULL,
                changed_at  DOUBLE PRECISION NOT NULL
            )""",
            "CREATE INDEX IF NOT EXISTS server_settings_log_by_guild ON server_settings_log (guild_id, changed_at)",
        ),
    ),
)

#: The settings a server can change: every ServerConfig field, with its type for reading stored JSON.
_TYPES: dict[str, Any] = typing.get_type_hints(ServerConfig)
SETTINGS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(ServerConfig))
_ADAPTERS: dict[str, TypeAdapter[Any]] = {name: TypeAdapter(_TYPES[name]) for name in SETTINGS}


def encode(name: str, value: Any) -> str:
    """A setting's value as stored: JSON, with sets sorted so that equal values are stored alike."""
    plain = _ADAPTERS[name].dump_python(value, mode="json")
    if isinstance(value, (set, frozenset)):
        plain = sorted(plain)
    return json.dumps(plain, sort_keys=True)


def decode(name: str, text: str) -> Any:
    """A stored value, checked against the field's type (raises ``ValidationError`` when it does not fit)."""
    return _ADAPTERS[name].validate_json(text)


@dataclass(frozen=True)
class ConfigChange:
    """One setting changed by one admin; ``None`` stands for "the .env default"."""

    guild_id: int
    name: str
    old: Any
    new: Any
    user_id: int
    changed_at: float


class ServerConfigStore(Store):
    """Per-server overrides of the ``.env`` defaults: in the database, and in memory for reading."""

    MIGRATIONS = MIGRATIONS

    def __init__(self, path: Any, defaults: ServerConfig) -> None:
        super().__init__(path)
        self.defaults = defaults
        self._overrides: dict[int, dict[str, Any]] = {}
        self._configs: dict[int, ServerConfig] = {}
        #: Per server, the version its cached settings were read at (see the module docstring).
        self._versions: dict[int, tuple[int, float]] = {}

    def open(self) -> None:
        """Apply migrations, then read every server's settings into memory (a few rows per server)."""
        super().open()
        with self._lock, self._connect() as conn:  # rows and versions of one snapshot
            rows = conn.execute("SELECT guild_id, name, value FROM server_settings").fetchall()
            versions = conn.execute(
                "SELECT guild_id, COUNT(*), MAX(changed_at) FROM server_settings_log GROUP BY guild_id"
            ).fetchall()
            overrides = _read_overrides(rows)
            self._overrides = overrides
            self._configs = {gid: dataclasses.replace(self.defaults, **values) for gid, values in overrides.items()}
            self._versions = {int(gid): (int(count), float(latest)) for gid, count, latest in versions}
        if overrides:
            log.info("per-server settings loaded for %d server(s)", len(overrides))

    def refresh(self, guild_id: int) -> bool:
        """Read a server's settings again if another process changed them since; True if they changed.

        One indexed look-up when nothing changed (the usual case), so the bot calls it before every message
        and command of a server.
        """
        with self._lock:
            return self._refresh(guild_id)

    def _refresh(self, guild_id: int) -> bool:
        """:meth:`refresh`; the caller holds the lock."""
        with self._connect() as conn:
            version = _version(conn, guild_id)
            if version == self._versions.get(guild_id, (0, 0.0)):
                return False
            rows = conn.execute(
                "SELECT guild_id, name, value FROM server_settings WHERE guild_id = ?", (guild_id,)
            ).fetchall()
            self._cache(guild_id, _read_overrides(rows).get(guild_id, {}), version)
        log.info("server %s: settings changed by another process; read again", guild_id)
        return True

    def _cache(self, guild_id: int, chosen: dict[str, Any], version: tuple[int, float]) -> None:
        """Put a server's settings in memory; the caller holds the lock."""
        if chosen:
            self._overrides[guild_id] = chosen
            self._configs[guild_id] = dataclasses.replace(self.defaults, **chosen)
        else:
            self._overrides.pop(guild_id, None)
            self._configs.pop(guild_id, None)
        self._versions[guild_id] = version

    # ------------------------------------------------------------------ reading (from memory)
    def get(self, guild_id: int | None) -> ServerConfig:
        """The effective settings of a server; the ``.env`` defaults for a DM or a server that set nothing."""
        if guild_id is None:
            return self.defaults
        return self._configs.get(guild_id, self.defaults)

    def overridden(self, guild_id: int) -> frozenset[str]:
        """The settings this server chose itself (the others follow ``.env``)."""
        return frozenset(self._overrides.get(guild_id, {}))

    # ------------------------------------------------------------------ changing
    def update(
        self, guild_id: int, user_id: int, change: Callable[[ServerConfig], Mapping[str, Any]]
    ) -> list[ConfigChange]:
        """Set settings of one server, computed from its current ones, atomically; returns what changed.

        ``change`` gets the server's effective settings and returns ``{setting: new value}``; values equal
        to the current ones are not changes and are not written. Read, compute, write and cache happen
        under one lock, so two admins adding a channel at once both get theirs.
        """
        with self._lock:
            self._refresh(guild_id)  # another process may have changed them: compute from what is stored
            current = self._configs.get(guild_id, self.defaults)
            wanted = dict(change(current))
            unknown = set(wanted) - set(_ADAPTERS)
            if unknown:
                raise ValueError(f"unknown setting(s): {sorted(unknown)}")
            values = {name: decode(name, encode(name, value)) for name, value in wanted.items()}  # typed
            changed = {name: value for name, value in values.items() if value != getattr(current, name)}
            return self._write(guild_id, user_id, current, changed, reset=())

    def reset(self, guild_id: int, user_id: int, names: Iterable[str]) -> list[ConfigChange]:
        """Make settings of one server follow the ``.env`` defaults again; returns what changed."""
        with self._lock:
            self._refresh(guild_id)
            current = self._configs.get(guild_id, self.defaults)
            chosen = self._overrides.get(guild_id, {})
            return self._write(guild_id, user_id, current, {}, reset=[n for n in names if n in chosen])

    def _write(
        self, guild_id: int, user_id: int, current: ServerConfig, changed: Mapping[str, Any], reset: Iterable[str]
    ) -> list[ConfigChange]:
        """Write changes and resets in one transaction, then update memory; the caller holds the lock."""
        reset = list(reset)
        if not changed and not reset:
            return []
        now = time.time()
        chosen = dict(self._overrides.get(guild_id, {}))
        changes: list[ConfigChange] = []
        with self._connect() as conn:
            for name, value in changed.items():
                stored = encode(name, value)
                conn.execute(
                    "INSERT INTO server_settings (guild_id, name, value, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT (guild_id, name) DO UPDATE SET value = excluded.value,"
                    " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                    (guild_id, name, stored, now, user_id),
                )
                changes.append(ConfigChange(guild_id, name, chosen.get(name), value, user_id, now))
                chosen[name] = value
            for name in reset:
                conn.execute("DELETE FROM server_settings WHERE guild_id = ? AND name = ?", (guild_id, name))
                changes.append(ConfigChange(guild_id, name, chosen.pop(name), None, user_id, now))
            conn.executemany(
                "INSERT INTO server_settings_log (guild_id, name, old_value, new_value, user_id, changed_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (guild_id, c.name, _maybe_encode(c.name, c.old), _maybe_encode(c.name, c.new), user_id, now)
                    for c in changes
                ],
            )
            version = _version(conn, guild_id)
        self._cache(guild_id, chosen, version)
        for c in changes:
            log.info(
                "server %s: %s changed from %s to %s by user %s",
                guild_id,
                c.name,
                _shown(c.name, c.old, getattr(current, c.name)),
                _shown(c.name, c.new, getattr(self.defaults, c.name)),
                user_id,
            )
        return changes

    def history(self, guild_id: int, limit: int = 5) -> list[ConfigChange]:
        """The latest changes made in a server, newest first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT name, old_value, new_value, user_id, changed_at FROM server_settings_log"
                " WHERE guild_id = ? ORDER BY changed_at DESC LIMIT ?",
                (guild_id, limit),
            ).fetchall()
        return [
            ConfigChange(guild_id, name, _maybe_decode(name, old), _maybe_decode(name, new), user_id, changed_at)
            for name, old, new, user_id, changed_at in rows
            if name in _ADAPTERS
        ]


def _version(conn: Connection, guild_id: int) -> tuple[int, float]:
    """A server's settings version: how many changes it has had, and when the latest was."""
    count, latest = conn.execute(
        "SELECT COUNT(*), MAX(changed_at) FROM server_settings_log WHERE guild_id = ?", (guild_id,)
    ).fetchone()
    return int(count), float(latest or 0.0)


def _read_overrides(rows: Iterable[Any]) -> dict[int, dict[str, Any]]:
    """Stored rows ``(guild_id, name, value)`` as typed values per server; rows this version cannot read are
    logged and skipped, so the default applies to them."""
    overrides: dict[int, dict[str, Any]] = {}
    for guild_id, name, value in rows:
        if name not in _ADAPTERS:
            log.warning("server %s: ignoring stored setting %r, which this version does not know", guild_id, name)
            continue
        try:
            overrides.setdefault(int(guild_id), {})[name] = decode(name, value)
        except ValidationError as exc:
            log.warning("server %s: ignoring stored %s=%s (%s); the default applies",
                        guild_id, name, value, exc.errors()[0]["msg"])
    return overrides


def _maybe_encode(name: str, value: Any) -> str | None:
    return None if value is None else encode(name, value)


def _maybe_decode(name: str, text: str | None) -> Any:
    if text is None:
        return None
    try:
        return decode(name, text)
    except ValidationError:
        return None


def _shown(name: str, value: Any, effective: Any) -> str:
    """For the log: the value, or the default it falls back to."""
    return encode(name, value) if value is not None else f"default ({encode(name, effective)})"
