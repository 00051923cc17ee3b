"""Reading the documents directly: ``/search``, ``/source`` (with autocomplete) and ``/sources`` (paged).

These look-ups are ephemeral by default (``sources_ephemeral``, per server with ``/config``): they serve
the person who asked and would only clutter a channel. ``/sources`` pages with Prev/Next buttons whose
``custom_id`` carries the target page, so paging needs no per-message state and keeps working after a
restart; :class:`PageButton` is the pager of every paged reply (``/feedback`` too).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import NO_MENTIONS, DocBot
from bot.errors import deliver, interaction_context, report_interaction_error
from bot.render import ellipsize, fmt_date, one_line, render_hits, render_source, render_sources_page
from embeddings.errors import EngineError, IndexNotFound
from embeddings.models import ChunkRef, DocumentInfo, SourceView, page_label

log = logging.getLogger(__name__)


class PageButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"docbot:sources:(?P<page>\d+):(?P<dir>prev|next)"
):
    """Prev or Next on a /sources message; the custom_id holds the page it leads to.

    Another paged reply subclasses it with its own ``template`` and ``prefix`` (the custom_id's start) and
    its own :meth:`turn`.
    """

    prefix = "docbot:sources"

    def __init__(self, page: int, direction: str, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.secondary,
                label="◀ Prev" if direction == "prev" else "Next ▶",
                custom_id=f"{self.prefix}:{page}:{direction}",
                disabled=disabled,
            )
        )
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> PageButton:
        return cls(int(match["page"]), match["dir"])

    async def callback(self, interaction: discord.Interaction[DocBot]) -> None:  # type: ignore[override]
        try:
            await self.turn(interaction)
        except Exception as exc:
            await report_interaction_error(interaction, exc)

    async def turn(self, interaction: discord.Interaction[DocBot]) -> None:
        """Show page ``self.page`` in the message the button is on."""
        bot = interaction.client
        docs = await bot.run_engine(bot.engine.sources)
        page = render_sources_page(docs, self.page, bot.settings.sources_page_size)
        await interaction.response.edit_message(
            content=None, embed=page.embed, view=pager(page.page, page.pages), allowed_mentions=NO_MENTIONS
        )


def pager(page: int, pages: int, button: type[PageButton] = PageButton) -> discord.ui.View | None:
    """Prev/Next buttons (of the paged reply ``button`` belongs to), only when there is more than one page."""
    if pages <= 1:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(button(max(page - 1, 0), "prev", disabled=page <= 0))
    view.add_item(button(min(page + 1, pages - 1), "next", disabled=page >= pages - 1))
    return view


_WORD = re.compile(r"[^\W_]+")
#: Parts of every URL, which would match every document.
_URL_NOISE = frozenset({"http", "https", "www", "html", "htm"})


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def match_score(doc: DocumentInfo, typed: str) -> int | None:
    """How well ``typed`` names ``doc`` (higher is better), or None when some typed word matches nothing.

    Every typed word must match a word of the title, the id or the URL: whole title words count most, then
    title words it begins, then id and URL words, then any other place inside them (``zelenskyy`` in
    ``PutinZelenskyy``). Typing the start of the title or id, or the whole id, ranks highest.
    """
    needle = typed.strip().casefold()
    if not needle:
        return 0
    title, doc_id = doc.title.casefold(), doc.doc_id.casefold()
    typed_words = _words(needle)
    if not typed_words:  # only punctuation, such as "#": a plain substring match
        return 1 if needle in doc_id or needle in title else None
    title_words = _words(title)
    url_words = [w for w in _words(doc.url or "") if w not in _URL_NOISE]
    other_words = _words(doc_id) + url_words
    anywhere = " ".join([title, doc_id, *url_words])
    score = 0
    for word in typed_words:
        if word in title_words:
            score += 4
        elif any(w.startswith(word) for w in title_words):
            score += 3
        elif any(w.startswith(word) for w in other_words):
            score += 2
        elif word in anywhere:
            score += 1
        else:
            return None
    if doc_id == needle:
        score += 100
    elif title.startswith(needle) or doc_id.startswith(needle):
        score += 10
    return score


def document_choices(docs: list[DocumentInfo], current: str, limit: int = 25) -> list[app_commands.Choice[str]]:
    """Autocomplete: the documents whose title, id or URL has words that match what was typed, best first.

    Within a score the engine's order (newest first) is kept, so an empty field lists the newest.
    """
    scored: list[tuple[int, DocumentInfo]] = []
    for doc in docs:
        if len(doc.doc_id) > 100:  # a choice value is at most 100 characters
            continue
        score = match_score(doc, current)
        if score is not None:
            scored.append((score, doc))
    scored.sort(key=lambda pair: -pair[0])  # stable
    choices = []
    for _, doc in scored[:limit]:
        label = one_line(doc.title, 80) or doc.doc_id
        if doc.date:
            label += f" ({fmt_date(doc.date)})"
        choices.append(app_commands.Choice(name=ellipsize(label, 100), value=str(ChunkRef(doc.doc_id))))
    return choices


_PAGE_TYPED = re.compile(r"^p(?:age)?\.?\s*(\d+)$")


def passage_choices(view: SourceView, current: str, limit: int = 25) -> list[app_commands.Choice[int]]:
    """Autocomplete for ``/source``'s passage: ``5 · p. 17 · The keeper painted…``, in document order.

    An answer cites a PDF's page (``[1, p. 17]``); this lets a reader open the passage on that page.
    Typed digits match passage numbers that start with them, ``p17`` or ``page 17`` a page, anything
    else words of the passage.
    """
    typed = current.strip().casefold()
    page_typed = _PAGE_TYPED.match(typed)
    choices = []
    for c in view.chunks:
        if page_typed:
            keep = c.page == int(page_typed.group(1))
        elif typed.isdigit():
            keep = str(c.chunk).startswith(typed)
        else:
            keep = all(word in c.text.casefold() for word in typed.split())
        if not keep:
            continue
        label = f"{c.chunk}" + (f" · {page_label([c.page])}" if c.page is not None else "")
        choices.append(app_commands.Choice(name=ellipsize(f"{label} · {one_line(c.text, 100)}", 100), value=c.chunk))
        if len(choices) == limit:
            break
    return choices


class Sources(commands.Cog):
    """Search the passages, read a source, list the documents."""

    def __init__(self, bot: DocBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(PageButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(PageButton)

    def ephemeral(self, interaction: discord.Interaction[DocBot]) -> bool:
        """Whether look-ups answer only the asker in this server (``/config lookups-ephemeral``)."""
        return self.bot.server_config(interaction.guild_id).sources_ephemeral

    async def document_autocomplete(
        self, interaction: discord.Interaction[DocBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """Shared by /source and /remove-document; an empty list rather than an error if no index yet."""
        try:
            docs = await self.bot.run_engine(self.bot.engine.sources)
        except IndexNotFound:
            return []
        return document_choices(docs, current)

    @app_commands.command(name="search", description="The passages that best match a query, with their sources.")
    @app_commands.describe(query="Words or a question to look for", count="How many passages (1-10, default 5)")
    async def search(
        self,
        interaction: discord.Interaction[DocBot],
        query: app_commands.Range[str, 1, 500],
        count: app_commands.Range[int, 1, 10] = 5,
    ) -> None:
        await interaction.response.defer(ephemeral=self.ephemeral(interaction), thinking=True)
        hits = await self.bot.run_query(self.bot.engine.search, query, count, asked_on=interaction.created_at)
        await deliver(
            lambda: interaction.followup.send(wait=True, allowed_mentions=NO_MENTIONS, **render_hits(query, hits)),
            context=interaction_context(interaction),
        )

    @app_commands.command(name="source", description="Read a document, or one passage of it with its context.")
    @app_commands.describe(document="The document (type words of its title, name or link)",
                           passage="Passage number (suggestions show each one's page and first words)")
    async def source(
        self,
        interaction: discord.Interaction[DocBot],
        document: str,
        passage: app_commands.Range[int, 0, 1_000_000] | None = None,
    ) -> None:
        # A passage number is given apart from the document, so the ref is built, never re-parsed:
        # `notes#1.md` passage 0 is ChunkRef("notes#1.md", 0) whatever other ids exist.
        ref: str | ChunkRef = document if passage is None else ChunkRef(document, passage)
        view = await self.bot.run_engine(self.bot.engine.source, ref)
        await interaction.response.send_message(
            ephemeral=self.ephemeral(interaction), allowed_mentions=NO_MENTIONS, **render_source(view)
        )

    @source.autocomplete("document")
    async def _source_document(
        self, interaction: discord.Interaction[DocBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.document_autocomplete(interaction, current)

    @source.autocomplete("passage")
    async def _source_passage(
        self, interaction: discord.Interaction[DocBot], current: str
    ) -> list[app_commands.Choice[int]]:
        document = getattr(interaction.namespace, "document", None)
        if not isinstance(document, str) or not document.strip():
            return []
        try:
            view = await self.bot.run_engine(self.bot.engine.source, document)
        except EngineError:  # no index yet, or a document that is not indexed (still being typed)
            return []
        return passage_choices(view, str(current))

    @app_commands.command(name="sources", description="The indexed documents, newest first.")
    async def sources(self, interaction: discord.Interaction[DocBot]) -> None:
        docs = await self.bot.run_engine(self.bot.engine.sources)
        page = render_sources_page(docs, 0, self.bot.settings.sources_page_size)
        kwargs: dict[str, Any] = {
            "embed": page.embed,
            "allowed_mentions": NO_MENTIONS,
            "ephemeral": self.ephemeral(interaction),
        }
        view = pager(page.page, page.pages)
        if view is not None:
            kwargs["view"] = view
        await interaction.response.send_message(**kwargs)


async def setup(bot: DocBot) -> None:
    await bot.add_cog(Sources(bot))
