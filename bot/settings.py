"""The Discord bot's settings: the engine's settings plus what only the bot needs.

``BotSettings`` extends :class:`embeddings.settings.EngineSettings`, so a deployment has exactly one
settings object (read once in ``bot.__main__`` and handed to both the engine and the bot). Every field
comes from the environment with the ``DOCBOT_`` prefix, or from ``.env``; ``.env.example`` documents them.

ID lists (guilds, channels, roles, users) accept the form people actually type in an ``.env`` file,
``DOCBOT_GUILD_IDS=123, 456``, as well as a JSON list; pydantic-settings would otherwise insist on JSON.

The fields that ``bot.server_config.ServerConfig`` mirrors (answer channels, reply mode, cooldown, admin
roles, ...) are defaults: each server's admins can change them for their server with ``/config``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PositiveInt, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from bot.database import Database
from embeddings.settings import EngineSettings, SettingRefused

#: Discord ids (servers, channels, roles, users): snowflakes, never 0 or below (-5 was taken as an id).
IdList = Annotated[list[PositiveInt], NoDecode]
#: Shard numbers, from 0 (``_shards_fit`` checks them against DOCBOT_SHARD_COUNT).
ShardList = Annotated[list[int], NoDecode]

MIB = 1024 * 1024


class BotSettings(EngineSettings):
    """Everything the Discord bot reads at start; the engine reads the fields it inherits."""

    discord_token: SecretStr | None = Field(
        None,
        description="Bot token from the Discord developer portal. Without it `python -m bot` opens the "
        "terminal chat instead. Never logged.",
    )
    guild_ids: IdList = Field(
        [],
        description="Servers to sync slash commands to instantly. Empty: global sync (can take up to an hour).",
    )
    answer_channels: IdList = Field(
        [], description="Channels where every message is answered as a question, without a mention (a forum "
        "channel: each new post, in the post)."
    )
    admin_role_ids: IdList = Field(
        [], description="Roles allowed to use admin commands, besides members with Administrator."
    )
    admin_user_ids: IdList = Field(
        [], description="Users allowed to use admin commands, besides members with Administrator."
    )
    cooldown_questions: int = Field(
        5, ge=0, description="Questions one user may ask per cooldown window (0 disables the cooldown)."
    )
    cooldown_seconds: float = Field(60.0, gt=0, description="Length of the per-user cooldown window.")
    max_attachment_bytes: int = Field(
        10 * MIB,
        ge=1,
        description="Largest document /add-document accepts, in bytes (PDFs are often several MB; 10 MB is "
        "what Discord lets most users attach).",
    )
    sources_ephemeral: bool = Field(
        True,
        description="Whether /search, /source and /sources reply only to the asker (answers are public).",
    )
    reply_mode: Literal["reply", "thread"] = Field(
        "reply",
        description="How answers are posted: `reply` to the question, or `thread` (a thread opened on the "
        "question, where follow-ups are answered without a mention). Servers can change it with /config.",
    )
    quiet: bool = Field(
        True,
        description="In answer channels and the bot's threads, stay silent on messages that are not questions "
        "(thanks, emoji, links alone) instead of replying that the documents don't cover them (README, Quiet "
        "in busy channels).",
    )
    context_menu_ephemeral: bool = Field(
        True, description="Whether \"Ask about this message\" answers only the person who used it."
    )
    message_content_intent: bool = Field(
        True,
        description="Ask Discord for the privileged Message Content intent, which answer channels need (the "
        "bot reads messages there without a mention). If it is not enabled in the developer portal the bot "
        "starts without it and says so once in the log; false never asks. Mentions, DMs, slash commands and "
        "\"Ask about this message\" work either way.",
    )
    sources_page_size: int = Field(10, ge=1, le=25, description="Documents per /sources page.")
    sync_commands: bool = Field(
        True,
        description="Sync the slash commands at start. Turn off once they are registered to save API calls.",
    )
    feedback_db: Path | None = Field(
        None,
        description="The bot's SQLite database: answered questions, 👍/👎 votes, each server's /config "
        "settings and conversations; default DATA_DIR/feedback.sqlite3. Unused when DOCBOT_DATABASE_URL is set.",
    )
    shard_count: int | None = Field(
        None,
        ge=1,
        description="Shards of the whole deployment, over all its processes (each process runs DOCBOT_SHARD_IDS). "
        "Empty: one process that runs as many shards as Discord recommends.",
    )
    shard_ids: ShardList = Field(
        [],
        description="The shards this process runs, as `0,1` or a range `0-3` (each below DOCBOT_SHARD_COUNT). "
        "Empty: all of them.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "INFO",
        description="Logging level of docbot-discord (the bot and the engine it runs), in any case. The docbot "
        "command does not read it: it logs warnings, and INFO with -v.",
    )

    @field_validator("guild_ids", "answer_channels", "admin_role_ids", "admin_user_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        """Accept ``1,2 3``, ``[1, 2]`` and the empty string, since IDs are pasted by hand."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if not text:
            return []
        if text.startswith("["):
            return json.loads(text)
        return [part for part in text.replace(",", " ").split() if part]

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_any_case(cls, value: Any) -> Any:
        """``debug`` is DEBUG, as logging's own names are read; an unknown level (``LOUD``) is refused, where it
        used to mean INFO without a word. logging's aliases (``warn``, ``fatal``) are its levels, as before."""
        if not isinstance(value, str):
            return value
        level = value.strip().upper()
        return {"WARN": "WARNING", "FATAL": "CRITICAL"}.get(level, level)

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _shard_ranges(cls, value: Any) -> Any:
        """``0-3`` means shards 0, 1, 2 and 3 (a process runs a range); lists and ``0,1`` as for other IDs."""
        if isinstance(value, str) and "-" in value and not value.strip().startswith("["):
            shards: list[str] = []
            for part in value.replace(",", " ").split():
                low, dash, high = part.partition("-")
                if dash and low.isdigit() and high.isdigit():
                    if int(low) > int(high):  # `3-1` ran no shard, and an empty list means all of them
                        raise SettingRefused(f"the range {part} runs backwards; expected shards as 0,1 or a range "
                                             f"low-high ({high}-{low})")
                    shards += [str(i) for i in range(int(low), int(high) + 1)]
                else:
                    shards.append(part)
            return shards
        return cls._split_ids(value)

    @model_validator(mode="after")
    def _shards_fit(self) -> BotSettings:
        if self.shard_ids and self.shard_count is None:
            raise ValueError("DOCBOT_SHARD_IDS needs DOCBOT_SHARD_COUNT (the shards of all processes together)")
        if self.shard_count is not None:
            outside = [i for i in self.shard_ids if not 0 <= i < self.shard_count]
            if outside:
                raise ValueError(f"DOCBOT_SHARD_IDS {outside} outside 0..{self.shard_count - 1} (DOCBOT_SHARD_COUNT="
                                 f"{self.shard_count})")
            if len(set(self.shard_ids)) != len(self.shard_ids):
                raise ValueError("DOCBOT_SHARD_IDS lists a shard twice")
        return self

    @model_validator(mode="after")
    def _feedback_file(self) -> BotSettings:
        """DOCBOT_FEEDBACK_DB names a file, not a folder nor a path under a file (unless DOCBOT_DATABASE_URL makes
        it unused): either was sqlite3's "unable to open database file" traceback at start. A folder that does
        not exist yet (data/feedback.sqlite3 on a fresh checkout) is made when the database is opened."""
        path = self.feedback_db
        if self.database_url is not None or path is None:
            return self
        folder = path.parent
        while not folder.exists() and folder != folder.parent:  # the nearest folder that exists holds the rest
            folder = folder.parent
        if path.is_dir():
            problem = "is a folder"
        elif folder.exists() and not folder.is_dir():
            problem = f"is {'in' if folder == path.parent else 'under'} {folder}, which is not a folder"
        else:
            return self
        raise SettingRefused(f"DOCBOT_FEEDBACK_DB {path} {problem}; expected the path of a SQLite file "
                             "(empty: DATA_DIR/feedback.sqlite3)")

    @property
    def database(self) -> Database:
        """The bot's database: the PostgreSQL server of ``database_url``, else the SQLite file."""
        if self.database_url is not None:
            return Database(self.database_url.get_secret_value())
        return Database(self.feedback_path)

    @property
    def feedback_path(self) -> Path:
        """Where votes live: next to the index by default so one data folder holds the deployment's state."""
        return self.feedback_db if self.feedback_db is not None else self.data_dir / "feedback.sqlite3"
