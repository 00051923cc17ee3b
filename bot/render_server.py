"""What a server's admins read about their server: its settings (``/config``) and its feedback (``/feedback``).

Like ``bot.render`` (whose helpers and limits it uses), nothing here talks to Discord or the engine:
functions take plain values and return text or embeds within Discord's limits. Channels, roles and users
are written as mentions (``<#id>``, ``<@&id>``, ``<@id>``): Discord shows them by name to the reader, and
the bot's ``allowed_mentions`` keeps them from pinging anyone.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import discord

from bot.config_store import SETTINGS, ConfigChange
from bot.feedback import AnswerRecord
from bot.render import COLOR_INFO, FIELD_NAME_LIMIT, as_written, ellipsize, one_line
from bot.server_config import ServerConfig

#: How each setting is named to admins, in the order ``/config show`` lists them.
SETTING_LABELS: dict[str, str] = {
    "answer_channels": "Answer channels",
    "reply_mode": "Reply mode",
    "channel_reply_modes": "Reply mode per channel",
    "sources_ephemeral": "Look-ups (/search, /source, /sources)",
    "cooldown_questions": "Cooldown: questions per person",
    "cooldown_seconds": "Cooldown: window",
    "admin_role_ids": "Admin roles",
    "quiet": "Quiet in answer channels",
    "context_menu_ephemeral": '"Ask about this message"',
}

#: Questions per ``/feedback`` page: each shows the question, the votes, the sources and the answer's start.
FEEDBACK_PER_PAGE = 4
ANSWER_PREVIEW = 400


def label(name: str) -> str:
    return SETTING_LABELS.get(name, name.replace("_", " "))


def _audience(only_asker: bool) -> str:
    return "only the asker sees the reply" if only_asker else "everyone in the channel sees the reply"


def setting_value(name: str, value: Any) -> str:
    """A setting's value as admins read it."""
    if name == "answer_channels":
        return ", ".join(f"<#{c}>" for c in sorted(value)) or "none (the bot answers mentions only)"
    if name == "admin_role_ids":
        return ", ".join(f"<@&{r}>" for r in sorted(value)) or "none (members with Administrator only)"
    if name == "channel_reply_modes":
        return ", ".join(f"<#{c}>: {mode}" for c, mode in sorted(value.items())) or "none (the server's mode)"
    if name == "reply_mode":
        return "thread (a thread on each question)" if value == "thread" else "reply (to the question)"
    if name in ("sources_ephemeral", "context_menu_ephemeral"):
        return _audience(bool(value))
    if name == "cooldown_questions":
        return f"{value}" if value else "0 (no cooldown)"
    if name == "cooldown_seconds":
        return f"{value:g} s"
    if name == "quiet":
        return "on (no reply to messages that are not questions)" if value else "off"
    return str(value)


def describe_change(change: ConfigChange, defaults: ServerConfig) -> str:
    """``Label: old → new``, where a value the server had not set reads as the default it was."""

    def shown(value: Any) -> str:
        if value is None:
            return f"{setting_value(change.name, getattr(defaults, change.name))} (default)"
        return setting_value(change.name, value)

    return f"{label(change.name)}: {shown(change.old)} → {shown(change.new)}"


def render_config(
    config: ServerConfig,
    *,
    overridden: Iterable[str],
    history: Sequence[ConfigChange],
    defaults: ServerConfig,
    warnings: Sequence[str] = (),
) -> discord.Embed:
    """``/config show``: every setting in effect, whether the server chose it or it is the default, and
    the latest changes with who made them."""
    chosen = set(overridden)
    embed = discord.Embed(
        title="Settings of this server",
        description="\n".join(warnings) or "Change them with the `/config` commands; they apply at once.",
        colour=COLOR_INFO,
    )
    names = [n for n in SETTING_LABELS if n in SETTINGS]
    names += [n for n in SETTINGS if n not in SETTING_LABELS]  # a setting added later still shows
    for name in names:
        origin = "set here" if name in chosen else "default"
        value = f"{ellipsize(setting_value(name, getattr(config, name)), 1000)} · *{origin}*"
        embed.add_field(name=label(name), value=value, inline=False)
    if history:
        lines = [
            f"<t:{int(c.changed_at)}:R> <@{c.user_id}>: {describe_change(c, defaults)}" for c in history
        ]
        embed.add_field(name="Latest changes", value=ellipsize("\n".join(lines), 1024), inline=False)
    return embed


# --------------------------------------------------------------------------- /feedback
def cited_sources(refs: Sequence[str], titles: Mapping[str, str]) -> str:
    """The documents an answer cited, by title (from the index), with the passages: ``Title (`doc#3`)``."""
    by_doc: dict[str, list[str]] = {}
    for ref in refs:
        doc_id = ref.rsplit("#", 1)[0] if "#" in ref else ref
        by_doc.setdefault(doc_id, []).append(ref)
    parts = []
    for doc_id, doc_refs in by_doc.items():
        name = one_line(titles.get(doc_id, ""), 80) or doc_id
        parts.append(f"{name} ({', '.join(f'`{r}`' for r in doc_refs)})")
    return "; ".join(parts) or "no sources (the documents did not cover it)"


def render_feedback_page(
    records: Sequence[AnswerRecord], *, page: int, pages: int, total: int, titles: Mapping[str, str]
) -> discord.Embed:
    """One page of ``/feedback``: answers voted 👎, most recently first, with what they cited and said."""
    embed = discord.Embed(title="Answers voted 👎", colour=COLOR_INFO)
    if not records:
        embed.description = "No answer in this server has been voted 👎 yet."
    for record in records:
        asked = f"<t:{int(record.asked_at)}:d>"
        lines = [
            f"👎 {record.down} · 👍 {record.up} · asked {asked} via {record.via}",
            f"**Cited:** {cited_sources(record.refs, titles)}",
        ]
        if record.answer:
            lines.append(f"**Answer:** {ellipsize(as_written(one_line(record.answer, 10_000)), ANSWER_PREVIEW)}")
        embed.add_field(
            name=ellipsize(one_line(record.question, 1000) or "(empty question)", FIELD_NAME_LIMIT - 10),
            value=ellipsize("\n".join(lines), 1000),
            inline=False,
        )
    embed.set_footer(
        text=f"Page {page + 1}/{max(pages, 1)} · {total} answer(s) voted down · /feedback export: every question"
    )
    return embed


def iso(timestamp: float | None) -> str:
    """A stored time for the export: ISO 8601 in UTC, or empty."""
    if timestamp is None:
        return ""
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).isoformat(timespec="seconds")


# --------------------------------------------------------------------------- /feedback export
EXPORT_COLUMNS = (
    "answer_id", "asked_at", "via", "channel_id", "question", "answered", "answer", "cited", "helpful",
    "not_helpful", "last_vote_at",
)
#: A spreadsheet runs a cell that starts with one of these as a formula; questions are anyone's input.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_row(record: AnswerRecord) -> dict[str, Any]:
    """One answer as exported: when, where from, the question, what was said and cited, and the votes."""
    return {
        "answer_id": record.answer_id,
        "asked_at": iso(record.asked_at),
        "via": record.via,
        "channel_id": str(record.channel_id) if record.channel_id is not None else "",
        "question": record.question,
        "answered": record.answered,
        "answer": record.answer,
        "cited": list(record.refs),
        "helpful": record.up,
        "not_helpful": record.down,
        "last_vote_at": iso(record.last_vote_at),
    }


def export_json(records: Iterable[AnswerRecord]) -> bytes:
    """The export as a JSON list of objects (ids as strings: JavaScript cannot hold a snowflake)."""
    return json.dumps([export_row(r) for r in records], ensure_ascii=False, indent=1).encode()


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        value = " ".join(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value  # shown as text, never run as a formula (OWASP "CSV injection")
    return value


def export_csv(records: Iterable[AnswerRecord]) -> bytes:
    """The export as CSV (UTF-8 with a byte order mark, so spreadsheets read non-ASCII text right); cited
    refs are separated by spaces, and text that a spreadsheet would run as a formula starts with ``'``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: _cell(v) for k, v in export_row(record).items()})
    return ("\ufeff" + out.getvalue()).encode()
