"""Turning the engine's plain answers into Discord messages that Discord will accept.

Discord rejects a whole message when one limit is exceeded (2,000 characters of content, 4,096 in an
embed description, 25 fields of 1,024, 6,000 characters across a message's embeds, 10 embeds, 40
components). An answer that is too long must therefore be shortened here, never sent and refused:
fewer excerpts first, then the last excerpt trimmed at a sentence end with an ellipsis. Whatever is
quoted stays a verbatim slice of the document (the ellipsis sits outside the quoted slice).

Nothing here talks to Discord or the engine: every function takes models and returns embeds or text,
so the limits are unit-tested without a client. Links are wrapped in ``<...>`` so Discord shows no
preview card, and citation numbers are only shown for sources that are listed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

import discord

from embeddings.formats import supported_list, written_in_markdown
from embeddings.models import (
    Answer,
    ChunkRef,
    DocumentInfo,
    Excerpt,
    Hit,
    IndexProgress,
    IndexReport,
    IndexStats,
    Source,
    SourceView,
    page_label,
)

# Discord's documented limits.
CONTENT_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELDS_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
EMBED_TOTAL_LIMIT = 6000
THREAD_NAME_LIMIT = 100

#: One excerpt longer than this is trimmed even when the whole answer would fit: a wall of quoted
#: text is harder to read than a pointer to ``/source``.
EXCERPT_CAP = 1000
#: Excerpts shown in one answer, whatever the engine returned.
MAX_EXCERPTS_SHOWN = 8
TITLE_CAP = 120
URL_CAP = 500
ELLIPSIS = "…"
#: Notices (errors, refusals, confirmations, progress) are read at a glance: far below Discord's 2,000.
NOTICE_LIMIT = 400
#: A value quoted in a notice (a document id, a file name someone typed) is shortened to this length.
QUOTED_CAP = 100

COLOR_ANSWER = discord.Colour.blurple()
COLOR_INFO = discord.Colour.dark_teal()

_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s|$)|\n")
_WS = re.compile(r"\s+")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`|“[^”]*”")


# --------------------------------------------------------------------------- small text helpers
def ellipsize(text: str, limit: int) -> str:
    """Shorten free text (titles, questions) to ``limit`` characters, marking the cut."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return text[:limit]
    return text[: limit - 1].rstrip() + ELLIPSIS


def one_line(text: str, limit: int) -> str:
    """Collapse whitespace so a question or title cannot break a layout, then ellipsize."""
    return ellipsize(_WS.sub(" ", text).strip(), limit)


def shorten_middle(text: str, limit: int) -> str:
    """Shorten to ``limit`` characters by cutting the middle, so both ends stay readable."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return text[:limit]
    head = (limit - 1) * 2 // 3
    tail = limit - 1 - head
    return text[:head] + ELLIPSIS + (text[-tail:] if tail else "")


def thread_name(question: str) -> str:
    """A thread's name from the question it was opened on: one line, within Discord's 100 characters."""
    return one_line(question, THREAD_NAME_LIMIT) or "Question"


def notice(text: str, limit: int = NOTICE_LIMIT) -> str:
    """Any plain-text message the bot sends that is not an answer: an error, a refusal, a confirmation.

    Such texts often repeat what someone typed (``no document '…'``), and a pasted value of thousands of
    characters would make the message longer than Discord accepts: it refuses the whole message and the
    user sees "The application did not respond". So every quoted value (in straight, curly or back quotes)
    longer than ``QUOTED_CAP`` is cut in the middle, keeping its quotes, and what is still over ``limit``
    is cut in the middle as a whole: the sentence's start and its end (often the useful part: "Nothing was
    changed.") both survive.
    """

    def shorten(match: re.Match[str]) -> str:
        quoted = match.group()
        if len(quoted) <= QUOTED_CAP:
            return quoted
        return quoted[0] + shorten_middle(quoted[1:-1], QUOTED_CAP - 2) + quoted[-1]

    return shorten_middle(_QUOTED.sub(shorten, text.strip()), min(limit, CONTENT_LIMIT))


def trim_at_sentence(text: str, limit: int) -> str:
    """The longest prefix of ``text`` within ``limit`` that ends at a sentence end.

    Falls back to a word boundary, then to a hard cut, when no sentence ends late enough to keep at
    least a third of the allowance. The result is always a prefix (a verbatim slice) of ``text``.
    """
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    window = text[: limit + 1]
    best = -1
    for match in _SENTENCE_END.finditer(window):
        end = match.end() if match.group() != "\n" else match.start()
        if end <= limit:
            best = end
    if best >= limit / 3:
        return text[:best].rstrip()
    space = text.rfind(" ", 0, limit + 1)
    if space >= limit / 3:
        return text[:space].rstrip()
    return text[:limit]


def trim_start_at_sentence(text: str, limit: int) -> str:
    """The longest suffix of ``text`` within ``limit`` that starts at a sentence start (context before)."""
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    cut = len(text) - limit
    for match in _SENTENCE_END.finditer(text):
        start = match.end()
        if start < cut:
            continue
        if len(text) - start >= limit / 3:
            return text[start:].lstrip()
        break
    space = text.find(" ", cut)
    if space != -1 and len(text) - space >= limit / 3:
        return text[space:].lstrip()
    return text[cut:]


# Markdown Discord renders inside a message: emphasis, strike-through, code, spoilers, masked links, and
# the backslash that escapes them.
_DISCORD_MARKUP = re.compile(r"[\\*_~`\[\]]|\|\|")


_BARE_URL = re.compile(r"https?://(?:[^\s<>()\[\]]|\([^\s<>()\[\]]*\))+")  # "C_(programming_language)" too


def code(text: str) -> str:
    """``text`` as inline code, whatever it holds: a backtick in a file name ("notes `draft`.md") would
    close a single-backtick span, so such a name is fenced with two, as Discord reads them."""
    text = one_line(text, 10_000)
    if "`" not in text:
        return f"`{text}`"
    fenced = re.sub(r"`(?=`)", "`\u200b", text)  # two in a row would close the fence
    return f"`` {fenced} ``"


def as_written(text: str, *, markdown: bool = False) -> str:
    """Document text shown as written: Discord's Markdown characters escaped, so a document's "*" (a lone
    one, or one closed two sentences later) does not turn the citation after the quote into italics, a
    "||" does not hide text as a spoiler and "[here](https://...)" is no disguised link. The escapes are
    not displayed: people read the document's characters. A bare URL is left as it is (an escape
    inside it, "Refund\\_policy", would break the link), as discord.py's ``escape_markdown`` does.

    In a Markdown document (``markdown``: ``formats.written_in_markdown`` of its doc id) the same
    characters are its author's formatting, and shown escaped they read as broken ("the `#help` channel
    on our [Discord server](https://...)"). There its balanced inline Markdown is left for Discord to
    draw (``_rendered``); the characters sent are still the document's own, so the quote stays the
    verbatim slice, drawn as the document's own renderer draws it."""
    if markdown:
        return _rendered(text)
    out, at = [], 0
    for m in _BARE_URL.finditer(text):
        out.append(_escaped(text[at:m.start()]))
        out.append(m.group())
        at = m.end()
    out.append(_escaped(text[at:]))
    return "".join(out)


def _escaped(text: str) -> str:
    return _DISCORD_MARKUP.sub(lambda m: "".join("\\" + ch for ch in m.group(0)), text)


# Inline Markdown that Discord draws as CommonMark does, each on one line (a quote's lines are prefixed
# with "> ", which must not land inside a span). Code: one or two backticks around text that is not blank.
_CODE = re.compile(r"(`{1,2})(?!`)([^\n]*?[^`\n])\1(?!`)")
# A masked link: its text holds no brackets, its URL is http(s) with no whitespace, parenthesis, "<>" or
# backslash (Discord reads none of them in a link's URL).
_LINK = re.compile(r"\[([^\[\]\n]+)\]\((https?://[^\s()<>\[\]\\]+)\)")
# Emphasis: "**bold**", "*italic*", "_italic_"; the text touches its markers and holds none of them.
_EMPHASIS = (
    ("**", re.compile(r"\*\*(?=\S)([^*\n]*?[^\s*])\*\*")),
    ("*", re.compile(r"\*(?=\S)([^*\n]*?[^\s*])\*")),
    ("_", re.compile(r"_(?=\S)([^_\n]*?[^\s_])_")),
)
# A bare URL with no space since: Discord reads it as one link up to the next space, markers and all.
_GLUED_TO_URL = re.compile(r"https?://\S*\Z")
# Link text that looks like an address ("https://bank.example", "www.x", "paypal.com/login") is how a
# masked link disguises where it goes: Discord refuses to draw such links, so they are shown as written.
_ADDRESS_LIKE = re.compile(r"://|\bwww\.|^\S*[\w-]\.[a-z]{2,}(?:/\S*)?$", re.IGNORECASE)


def _rendered(text: str) -> str:
    """``text`` of a Markdown document with its balanced bold, italic, code and masked links left for
    Discord to draw, and every other Markdown character escaped as ``as_written`` escapes it.

    Conservative on purpose: a span is drawn only when it closes on the same line, touches its markers,
    holds no marker of its kind and has no ``*`` or ``_`` glued to its outside, so a "*" left open at the
    quote's end (or "***", "__", "||", "~~") stays escaped and can never pair with the citation's
    ``**[2]**`` after the quote. Code is sent as written: Discord shows a code span's characters
    literally, so an escape there would be displayed."""
    out: list[str] = []
    plain: list[str] = []  # characters to escape, flushed before each span
    i = 0

    def span(piece: str, end: int) -> int:
        out.append(_escaped("".join(plain)))
        plain.clear()
        out.append(piece)
        return end

    while i < len(text):
        if m := _BARE_URL.match(text, i):
            i = span(m.group(), m.end())
        elif _GLUED_TO_URL.search(text, 0, i):  # Discord's link runs on to a space: "https://x.org/a(*b*"
            plain.append(text[i])
            i += 1
        elif (m := _CODE.match(text, i)) and m.group(2).strip() and (len(m.group(1)) == 2 or "`" not in m.group(2)):
            i = span(m.group(), m.end())
        elif (m := _LINK.match(text, i)) and text[i - 1:i] != "!" and not _ADDRESS_LIKE.search(m.group(1).strip()):
            i = span(f"[{_rendered(m.group(1))}]({m.group(2)})", m.end())  # "![alt](src)" is a picture
        elif found := _emphasis(text, i):
            marker, m = found
            i = span(f"{marker}{_rendered(m.group(1))}{marker}", m.end())
        else:
            plain.append(text[i])
            i += 1
    span("", i)
    return "".join(out)


def _emphasis(text: str, at: int) -> tuple[str, re.Match[str]] | None:
    """The bold or italic span starting at ``at`` that Discord and CommonMark both draw, with its marker.

    Neither side may be glued to another ``*`` or ``_`` ("***", "__", "*a**"): such runs are read
    differently by different renderers, so they are shown as written. An ``_`` span also needs no letter
    or digit around it ("snake_case_name" is a name, not emphasis, to either). A span that would cut a
    code span or a bare URL in two (an odd backtick inside, "*see https://x.org/a*b") is no span."""
    before = text[at - 1:at]
    for marker, pattern in _EMPHASIS:
        m = pattern.match(text, at)
        if not m:
            continue
        after = text[m.end():m.end() + 1]
        if (before and before in "*_") or (after and after in "*_"):
            return None
        if marker == "_" and (before.isalnum() or after.isalnum()):
            return None
        if m.group(1).count("`") % 2 or any(u.end() > m.end() for u in _BARE_URL.finditer(text, at, m.end() + 1)
                                             if u.start() < m.end()):
            return None
        return marker, m
    return None


def quote(text: str, *, markdown: bool = False) -> str:
    """Discord block quote of document text (``as_written``): every line prefixed, so multi-line excerpts
    stay inside the quote."""
    return "> " + as_written(text, markdown=markdown).replace("\n", "\n> ")


def link(url: str | None) -> str:
    """A link Discord shows without a preview card; long or missing URLs are left out."""
    if not url or len(url) > URL_CAP or any(c.isspace() for c in url) or ">" in url:
        return ""
    return f"<{url}>"


def fmt_date(when: date | None) -> str:
    return when.isoformat() if when else ""


def source_label(
    title: str, when: date | None, url: str | None, pages: Sequence[int | None] = (), *, markdown: bool = True
) -> str:
    """``Title, p. 17 (YYYY-MM-DD) <url>``, the part of a citation after its number (no page for
    unpaged documents); the title ``as_written`` for a Discord message (``markdown``), plain otherwise."""
    shown = one_line(title, TITLE_CAP)
    parts = [(as_written(shown) if markdown else shown) or "Untitled"]
    if page_label(pages):
        parts[0] += f", {page_label(pages)}"
    if when:
        parts.append(f"({fmt_date(when)})")
    if link(url):
        parts.append(link(url))
    return " ".join(parts)


def source_line(
    number: int, title: str, when: date | None, url: str | None, pages: Sequence[int | None] = (), *,
    markdown: bool = True,
) -> str:
    """The compact citation: ``[n] Title, p. 17 (YYYY-MM-DD) <url>``."""
    return f"[{number}] {source_label(title, when, url, pages, markdown=markdown)}"


def _embed_length(embed: discord.Embed) -> int:
    return len(embed)  # discord.Embed.__len__ counts title, description, fields, footer and author


def _fields_from_lines(name: str, lines: Sequence[str], *, max_fields: int) -> list[tuple[str, str]]:
    """Pack lines into as few fields of <= 1,024 characters as possible."""
    fields: list[tuple[str, str]] = []
    current: list[str] = []
    size = 0
    for line in lines:
        line = ellipsize(line, FIELD_VALUE_LIMIT)
        extra = len(line) + (1 if current else 0)
        if current and size + extra > FIELD_VALUE_LIMIT:
            fields.append((name if not fields else f"{name} (cont.)", "\n".join(current)))
            current, size = [], 0
            extra = len(line)
        current.append(line)
        size += extra
    if current:
        fields.append((name if not fields else f"{name} (cont.)", "\n".join(current)))
    return fields[:max_fields]


# --------------------------------------------------------------------------- answers
@dataclass(frozen=True)
class ShownExcerpt:
    """An excerpt as it appears in the message: ``text`` is ``document[start:start + len(text)]``.

    ``block`` sends exactly those characters: escaped where Discord would read them as markup the
    document did not mean, and, in a Markdown document (``markdown``), with its balanced ``**bold**``,
    ``*italic*``, `` `code` `` and ``[links](https://...)`` left as they are, so Discord draws them as
    the document's own renderer does. Either way no character is added to the quote or left out of it."""

    number: int
    doc_id: str
    chunk: int
    start: int
    text: str
    trimmed: bool
    page: int | None = None
    section: str | None = None  # the headings it lies under (``Excerpt.section``), shown above it
    markdown: bool = False  # its document is Markdown (``formats.written_in_markdown``)

    @property
    def block(self) -> str:
        return excerpt_block(self.number, self.text, self.trimmed, self.page, self.section, markdown=self.markdown)

    @property
    def ref(self) -> str:
        """``doc#N``, as ``/source`` and ``docbot source`` read it (``ChunkRef`` formats it)."""
        return str(ChunkRef(self.doc_id, self.chunk))


#: The longest section line shown above a quote (the document's headings, shortened in the middle).
SECTION_CAP = 120


def section_line(section: str) -> str:
    """A quote's section (``Excerpt.section``) on one line of at most :data:`SECTION_CAP` characters."""
    return shorten_middle(one_line(section, 10_000), SECTION_CAP)


def excerpt_block(
    number: int, text: str, trimmed: bool, page: int | None = None, section: str | None = None, *,
    markdown: bool = False,
) -> str:
    """A quoted excerpt followed by its citation (``[2]``, or ``[2, p. 17]`` in a PDF); the ellipsis
    marks a trim, outside the slice. Above it, in italics, the headings it lies under ("[1.4.2] -
    2023-11-30 › Fixed", "Can I get a refund?"): the quote never holds them, and they are often what
    makes it an answer. A Markdown document's inline formatting is drawn (``as_written``)."""
    body = quote(text + (f" {ELLIPSIS}" if trimmed else ""), markdown=markdown)
    where = f", {page_label([page])}" if page is not None else ""
    head = f"*{as_written(section_line(section))}*\n" if section else ""
    return f"{head}{body} **[{number}{where}]**"


def shown_excerpt(excerpt: Excerpt, cap: int) -> ShownExcerpt:
    """Strip surrounding whitespace (still a verbatim slice) and trim to ``cap`` at a sentence end."""
    raw = excerpt.text
    lead = len(raw) - len(raw.lstrip())
    stripped = raw.strip()
    text = trim_at_sentence(stripped, cap)
    return ShownExcerpt(
        number=excerpt.number,
        doc_id=excerpt.doc_id,
        chunk=excerpt.chunk,
        start=excerpt.start + lead,
        text=text,
        trimmed=len(text) < len(stripped),
        page=excerpt.page,
        section=excerpt.section,
        markdown=written_in_markdown(excerpt.doc_id),
    )


@dataclass
class RenderedAnswer:
    """An answer ready to send, plus what was shown, so tests can check it against the documents."""

    content: str | None
    embeds: list[discord.Embed]
    excerpts: list[ShownExcerpt] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    omitted: int = 0

    def plain_text(self) -> str:
        """What people read, as plain text (recorded for ``/feedback`` and its export): the quotes with
        their citation numbers, then the sources; or the one-line reply when nothing was quoted."""
        if not self.excerpts:
            return self.content or ""
        quotes = [f"[{e.number}] {f'({section_line(e.section)}) ' if e.section else ''}"
                  f"“{e.text}{' ' + ELLIPSIS if e.trimmed else ''}”" for e in self.excerpts]
        sources = [source_line(s.number, s.title, s.date, s.url, markdown=False) for s in self.sources]
        return "\n".join([*quotes, "", "Sources:", *sources])

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for send/reply/followup/edit (the caller adds ``view``)."""
        return {
            "content": self.content,
            "embeds": self.embeds,
            "allowed_mentions": discord.AllowedMentions.none(),
        }


NOT_COVERED = "🤷 The documents don't cover this question, so there is nothing I can quote."


def render_answer(answer: Answer) -> RenderedAnswer:
    """Render an ``Answer`` as one embed: quoted excerpts with citation numbers and a sources list.

    When it does not fit, excerpts are dropped from the end (the engine orders them best first) and, as
    a last resort, the only remaining excerpt is trimmed to fit. Excerpts whose number has no source are
    never shown, so every citation number points at a listed source. When the documents don't cover
    the question the reply is one plain line (the engine's reason goes to the log, not to the channel).
    """
    if not answer.answered or not answer.excerpts:
        return RenderedAnswer(content=NOT_COVERED, embeds=[])

    by_number = {s.number: s for s in answer.sources}
    usable = [e for e in answer.excerpts if e.number in by_number]
    if not usable:
        return RenderedAnswer(content=NOT_COVERED, embeds=[])
    usable = usable[:MAX_EXCERPTS_SHOWN]
    dropped_up_front = len(answer.excerpts) - len(usable)

    title = one_line(answer.question, EMBED_TITLE_LIMIT) or "Answer"
    header = one_line(answer.message, 300)
    footer = "Excerpts are quoted verbatim; read one in context with /source."
    if answer.follow_up is not None and answer.follow_up.earlier:
        footer = f"Read as a follow-up to “{one_line(answer.follow_up.earlier[-1], 80)}”. {footer}"
    if answer.elapsed_ms:
        footer += f" · {answer.elapsed_ms / 1000:.1f} s"

    for count in range(len(usable), 0, -1):
        chosen = usable[:count]
        cited = sorted({e.number for e in chosen})
        sources = [by_number[n] for n in cited]
        lines = [source_line(s.number, s.title, s.date, s.url, [e.page for e in chosen if e.number == s.number])
                 for s in sources]
        fields = _fields_from_lines("Sources", lines, max_fields=EMBED_FIELDS_LIMIT)
        fixed = len(title) + len(footer) + sum(len(n) + len(v) for n, v in fields)
        budget = min(EMBED_DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT - fixed)
        head = f"{header}\n\n" if header else ""
        shown = [shown_excerpt(e, EXCERPT_CAP) for e in chosen]
        body = "\n\n".join(s.block for s in shown)
        if len(head) + len(body) > budget and count == 1:
            # The last resort: one excerpt, trimmed to exactly what is left (less what its escapes add).
            overhead = len(excerpt_block(chosen[0].number, "", True, chosen[0].page, chosen[0].section))
            cap = max(0, budget - len(head) - overhead)
            while True:
                shown = [shown_excerpt(chosen[0], cap)]
                body = shown[0].block
                if len(head) + len(body) <= budget or cap == 0:
                    break
                cap = max(0, cap - (len(head) + len(body) - budget))
        if len(head) + len(body) <= budget:
            embed = discord.Embed(title=title, description=head + body, colour=COLOR_ANSWER)
            for name, value in fields:
                embed.add_field(name=name, value=value, inline=False)
            omitted = dropped_up_front + len(usable) - count
            if omitted:
                footer_text = f"{footer} {omitted} more passage(s) left out to fit."
                if _embed_length(embed) + len(footer_text) <= EMBED_TOTAL_LIMIT:
                    footer = footer_text
            embed.set_footer(text=footer)
            return RenderedAnswer(content=None, embeds=[embed], excerpts=shown, sources=sources, omitted=omitted)
    raise AssertionError("unreachable: one trimmed excerpt always fits")  # pragma: no cover


# --------------------------------------------------------------------------- search
def render_hits(query: str, hits: Sequence[Hit]) -> dict[str, Any]:
    """The top passages for ``/search``: each with its source line and ref, for people who read themselves."""
    if not hits:
        return {"content": f"No passages match “{one_line(query, 200)}”.", "embeds": []}
    title = one_line(f"Search: {query}", EMBED_TITLE_LIMIT)
    footer = "Read a passage in context with /source."
    budget = min(EMBED_DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT - len(title) - len(footer))
    hits = list(hits)[:25]
    for count in range(len(hits), 0, -1):
        chosen = hits[:count]
        cap = max(150, min(700, budget // count - 250))
        blocks = []
        for hit in chosen:
            heading = f"**{hit.rank}.** {source_label(hit.title, hit.date, hit.url, [hit.page])}"
            heading += f" · `{ellipsize(hit.ref, 120)}`"
            passage = hit.text.strip()
            text = trim_at_sentence(passage, cap)
            blocks.append(heading + "\n" + quote(text + (f" {ELLIPSIS}" if len(text) < len(passage) else ""),
                                                  markdown=written_in_markdown(hit.doc_id)))
        description = "\n\n".join(blocks)
        if len(description) <= budget:
            break
    else:  # pragma: no cover - count == 1 with cap 150 always fits
        description = ellipsize(description, budget)
    embed = discord.Embed(title=title, description=description, colour=COLOR_INFO)
    embed.set_footer(text=footer)
    return {"content": None, "embeds": [embed]}


# --------------------------------------------------------------------------- one source
def _focus_split(view: SourceView) -> tuple[str, str, str] | None:
    """Split the view's text into (before, focused chunk, after), or None when no chunk is focused."""
    if view.focus is None:
        return None
    chunk = next((c for c in view.chunks if c.chunk == view.focus), None)
    if chunk is None:
        return None
    text = view.text
    offset = min((c.start for c in view.chunks), default=0)
    start, end = chunk.start - offset, chunk.end - offset
    if not (0 <= start <= end <= len(text) and text[start:end] == chunk.text):
        start = text.find(chunk.text)
        if start < 0:
            return "", chunk.text, ""
        end = start + len(chunk.text)
    return text[:start], text[start:end], text[end:]


def render_source(view: SourceView) -> dict[str, Any]:
    """``/source``: the document's title, date and link, and a passage with the text around it.

    With a passage number, the passage is quoted and its neighbours are shown around it; without one,
    the document is shown from its beginning as far as the limits allow.
    """
    doc = view.document
    title = one_line(doc.title, EMBED_TITLE_LIMIT) or doc.doc_id
    meta = [f"`{ellipsize(doc.doc_id, 200)}`"]
    if doc.date:
        meta.append(fmt_date(doc.date))
    meta.append(f"{doc.chunks} passage(s), {doc.chars:,} characters" + (f", {doc.pages} page(s)" if doc.pages else ""))
    if link(doc.url):
        meta.append(link(doc.url))
    meta_value = ellipsize(" · ".join(meta), FIELD_VALUE_LIMIT)
    footer = (
        "Pick another passage with the passage option."
        if view.focus is not None
        else "Add passage:<number> to read one passage with its context."
    )
    budget = min(EMBED_DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT - len(title) - len(footer) - len(meta_value) - 40)
    parts = _focus_split(view)
    md = written_in_markdown(doc.doc_id)
    if parts is None:
        body = view.text.strip()
        shown = trim_at_sentence(body, budget - 4)
        description = ellipsize(as_written(shown, markdown=md) + (f" {ELLIPSIS}" if len(shown) < len(body) else ""), budget)
        field_name = "Document"
    else:
        before, focus, after = (p for p in parts)
        focus = focus.strip()
        focus_text = trim_at_sentence(focus, min(len(focus), budget * 2 // 3))
        focus_block = quote(focus_text + (f" {ELLIPSIS}" if len(focus_text) < len(focus) else ""), markdown=md)
        left = max(0, budget - len(focus_block) - 10)
        before, after = before.strip(), after.strip()
        before_text = trim_start_at_sentence(before, left // 2) if before else ""
        after_text = trim_at_sentence(after, left - len(before_text)) if after else ""
        pieces = []
        if before_text:
            pieces.append((f"{ELLIPSIS} " if len(before_text) < len(before) else "") + as_written(before_text, markdown=md))
        pieces.append(focus_block)
        if after_text:
            pieces.append(as_written(after_text, markdown=md) + (f" {ELLIPSIS}" if len(after_text) < len(after) else ""))
        description = ellipsize("\n".join(pieces), budget)
        field_name = f"Passage {view.focus} of {doc.doc_id}" + (f", {page_label([view.page])}" if view.page is not None else "")
    embed = discord.Embed(title=title, description=description, colour=COLOR_INFO)
    embed.add_field(name=ellipsize(field_name, FIELD_NAME_LIMIT), value=meta_value, inline=False)
    embed.set_footer(text=footer)
    return {"content": None, "embeds": [embed]}


# --------------------------------------------------------------------------- the documents list
def document_line(doc: DocumentInfo) -> str:
    parts = [f"`{ellipsize(doc.doc_id, 100)}`", "·", as_written(one_line(doc.title, 90)) or "Untitled"]
    if doc.date:
        parts.append(f"({fmt_date(doc.date)})")
    if link(doc.url) and len(doc.url or "") <= 200:
        parts.append(link(doc.url))
    parts.append(f"· {doc.chunks} passage(s)")
    return " ".join(parts)


def paginate(lines: Sequence[str], per_page: int, budget: int = 3900) -> list[list[str]]:
    """Split lines into pages of at most ``per_page`` lines and ``budget`` characters."""
    pages: list[list[str]] = []
    current: list[str] = []
    size = 0
    for line in lines:
        line = ellipsize(line, budget)
        if current and (len(current) >= per_page or size + len(line) + 1 > budget):
            pages.append(current)
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        pages.append(current)
    return pages or [[]]


@dataclass(frozen=True)
class SourcesPage:
    embed: discord.Embed
    page: int
    pages: int


def render_sources_page(docs: Sequence[DocumentInfo], page: int, per_page: int) -> SourcesPage:
    """One page of ``/sources``; the page number is clamped so a stale button still shows something."""
    pages = paginate([document_line(d) for d in docs], per_page)
    page = min(max(page, 0), len(pages) - 1)
    description = "\n".join(pages[page]) if docs else "No documents are indexed yet."
    embed = discord.Embed(title="Indexed documents", description=description, colour=COLOR_INFO)
    embed.set_footer(text=f"Page {page + 1}/{len(pages)} · {len(docs)} document(s)")
    return SourcesPage(embed=embed, page=page, pages=len(pages))


# --------------------------------------------------------------------------- admin
def human_bytes(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    units = ["KiB", "MiB", "GiB", "TiB"]
    exponent = min(int(math.log(size, 1024)), len(units))
    return f"{size / 1024 ** exponent:.1f} {units[exponent - 1]}"


def discord_time(when: datetime | None) -> str:
    """A timestamp every reader sees in their own time zone."""
    if when is None:
        return "never"
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    ts = int(when.timestamp())
    return f"<t:{ts}:f> (<t:{ts}:R>)"


def _names(label: str, names: Sequence[str], limit: int = 300) -> str:
    if not names:
        return ""
    return f"\n{label}: " + ellipsize(", ".join(f"`{n}`" for n in names), limit)


def render_report(report: IndexReport, *, what: str = "Re-index") -> str:
    """The summary a re-index ends with: added / changed / removed / unchanged, and the time it took."""
    status = "finished" if report.published or report.documents_total else "finished (nothing to publish)"
    what = notice(what, TITLE_CAP)
    text = (
        f"✅ {what} {status} in {report.seconds:.1f} s: **{len(report.added)} added, "
        f"{len(report.changed)} changed, {len(report.removed)} removed, {report.unchanged} unchanged**."
        f"\n{report.chunks_embedded} passage(s) embedded; the index now holds {report.documents_total} "
        f"document(s) and {report.chunks_total} passage(s)."
    )
    text += _names("Added", report.added) + _names("Changed", report.changed) + _names("Removed", report.removed)
    for doc in report.replaced:
        text += f"\nReplaced: “{as_written(one_line(doc.title, TITLE_CAP))}” (`{doc.doc_id}`)"
    if report.notes:
        text += "\nℹ️ " + ellipsize("; ".join(report.notes), 600)
    if report.skipped:
        text += "\n⚠️ Skipped: " + ellipsize("; ".join(report.skipped), 600)
    return ellipsize(text, CONTENT_LIMIT)


def _counter(done: int, total: int) -> str:
    return f"{done:,}/{total:,}" + (f" ({min(done, total) * 100 // total}%)" if total else "")


def render_progress(progress: IndexProgress | None, *, what: str = "Re-indexing", elapsed: float = 0.0) -> str:
    """The line ``/reindex`` keeps editing: the stage, that stage's own counter, and the time so far.

    Each stage counts what it works through (documents while reading, passages while embedding), so the
    number moves within a stage instead of one counter standing still through three of them; the clock
    shows the job is alive through stretches where the engine reports nothing. Always ends in ``· N s``.
    """
    what = notice(what, TITLE_CAP)
    clock = f" · {max(0, int(elapsed))} s"
    if progress is None:
        return f"⏳ {what}: starting{clock}"
    p = progress
    if p.stage == "scan":
        detail = f"reading documents {_counter(p.documents_done, p.documents_total)}"
    elif p.stage == "prepare":
        detail = "loading the model"
    elif p.stage == "embed":
        detail = f"embedding passages {_counter(p.chunks_done, p.chunks_total)}"
    elif p.stage == "write":
        detail = f"writing the index ({p.chunks_total:,} passages of {p.documents_total:,} documents)"
    elif p.stage == "done":
        detail = "loading the new index"
    else:  # a stage this bot does not know yet: still say something true
        detail = one_line(p.stage, 40)
    return f"⏳ {what}: {detail}{clock}"


def render_stats(stats: IndexStats | None, feedback: Any) -> discord.Embed:
    """``/stats``: the index, questions answered and what people thought of the answers."""
    embed = discord.Embed(title="Document bot statistics", colour=COLOR_INFO)
    if stats is None:
        embed.description = "No index is loaded yet: run /reindex."
    else:
        embed.add_field(name="Documents", value=f"{stats.documents:,}")
        embed.add_field(name="Passages", value=f"{stats.chunks:,}")
        embed.add_field(name="Index size", value=human_bytes(stats.size_bytes))
        embed.add_field(
            name="Model", value=ellipsize(f"`{stats.model}` ({stats.dimension} dims, {stats.index_type})", 1024)
        )
        embed.add_field(name="Last re-index", value=discord_time(stats.indexed_at))
    embed.add_field(
        name="Questions",
        value=f"{feedback.questions:,} asked · {feedback.answered:,} answered · "
        f"{feedback.questions - feedback.answered:,} not covered",
        inline=False,
    )
    embed.add_field(name="Feedback", value=f"👍 {feedback.up:,} · 👎 {feedback.down:,}", inline=False)
    if feedback.recent_down:
        lines = [
            f"• {one_line(v.question, 120)} → {ellipsize(', '.join(v.refs) or 'no citations', 150)}"
            for v in feedback.recent_down
        ]
        for name, value in _fields_from_lines("Recently voted down", lines, max_fields=2):
            embed.add_field(name=name, value=value, inline=False)
    return embed


def render_help(*, is_admin: bool, cooldown: str) -> discord.Embed:
    """``/help``: what the bot does and how to use it, admin commands only for those who can use them."""
    embed = discord.Embed(
        title="Document Q&A bot",
        description=(
            "I answer questions about the indexed documents with **verbatim excerpts** and numbered "
            "citations. When the documents don't cover a question, I say so instead of guessing.\n\n"
            "**Ask**: mention me with a question (`@bot what did Peskov say?`) or use `/ask`. "
            f"In some channels I answer every message. {cooldown}\n"
            "Rate answers with 👍 / 👎: votes help the admins improve the documents."
        ),
        colour=COLOR_INFO,
    )
    embed.add_field(
        name="Commands",
        value=(
            "`/ask question` — an answer with quoted excerpts\n"
            "`/search query [count]` — the best passages, to read yourself\n"
            "`/source document [passage]` — a document or one passage in context\n"
            "`/sources` — the indexed documents\n"
            "`/help` — this message\n"
            "Right-click a message → **Apps → Ask about this message** — ask what it says"
        ),
        inline=False,
    )
    if is_admin:
        embed.add_field(
            name="Admin commands",
            value=(
                "`/reindex [prune]` — update the index from its sources (incremental, with progress)\n"
                f"`/add-document file [replace]` — add a document ({supported_list('or')}) and index it\n"
                "`/remove-document document` — remove a document and re-index\n"
                "`/stats` — index size, questions answered, feedback\n"
                "`/feedback [export]` — answers voted 👎 here, or every question as a file\n"
                "`/config ...` — this server's settings (channels, reply mode, cooldown, admin roles, ...)"
            ),
            inline=False,
        )
    return embed
