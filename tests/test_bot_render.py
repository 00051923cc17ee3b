"""Unit tests of ``bot.render``: Discord's message limits, graceful shortening, verbatim quotes, citations.

The limits are checked by an independent checker written here from Discord's documentation (not by the
renderer's own constants), on ordinary answers, on absurdly large ones and on a few hundred random ones.
"""

from __future__ import annotations

import random
import re
from datetime import date, datetime, timezone
from typing import Any

import discord
import pytest

from bot import render
from bot.cogs.ask import feedback_view
from bot.cogs.sources import document_choices, pager
from bot.feedback import FeedbackStats, VoteRecord
from embeddings.models import (
    Answer,
    ChunkRef,
    ChunkView,
    DocumentInfo,
    Excerpt,
    Hit,
    IndexProgress,
    IndexReport,
    IndexStats,
    Source,
    SourceView,
)

# --------------------------------------------------------------------------- an independent limit checker
DISCORD = {
    "content": 2000,
    "embeds": 10,
    "title": 256,
    "description": 4096,
    "fields": 25,
    "field_name": 256,
    "field_value": 1024,
    "footer": 2048,
    "author": 256,
    "embeds_total": 6000,
    "components": 40,
}


def limit_violations(content: str | None = None, embeds: list[discord.Embed] | None = None,
                     embed: discord.Embed | None = None, view: discord.ui.View | None = None,
                     **_: Any) -> list[str]:
    """Every way a message would be refused by Discord, from the payload as discord.py would send it."""
    problems = []
    embeds = list(embeds or []) + ([embed] if embed else [])
    if content is not None and len(content) > DISCORD["content"]:
        problems.append(f"content {len(content)}")
    if len(embeds) > DISCORD["embeds"]:
        problems.append(f"{len(embeds)} embeds")
    total = 0
    for e in embeds:
        d = e.to_dict()
        title, desc = d.get("title", ""), d.get("description", "")
        fields = d.get("fields", [])
        footer = d.get("footer", {}).get("text", "")
        author = d.get("author", {}).get("name", "")
        if len(title) > DISCORD["title"]:
            problems.append(f"title {len(title)}")
        if len(desc) > DISCORD["description"]:
            problems.append(f"description {len(desc)}")
        if len(fields) > DISCORD["fields"]:
            problems.append(f"{len(fields)} fields")
        for f in fields:
            if not f["name"] or len(f["name"]) > DISCORD["field_name"]:
                problems.append(f"field name {len(f['name'])}")
            if not f["value"] or len(f["value"]) > DISCORD["field_value"]:
                problems.append(f"field value {len(f['value'])}")
        if len(footer) > DISCORD["footer"]:
            problems.append(f"footer {len(footer)}")
        if len(author) > DISCORD["author"]:
            problems.append(f"author {len(author)}")
        total += len(title) + len(desc) + len(footer) + len(author)
        total += sum(len(f["name"]) + len(f["value"]) for f in fields)
    if total > DISCORD["embeds_total"]:
        problems.append(f"embeds total {total}")
    if view is not None:
        rows = view.to_components()
        count = len(rows) + sum(len(r.get("components", [])) for r in rows)
        if count > DISCORD["components"]:
            problems.append(f"{count} components")
        for row in rows:
            for c in row.get("components", []):
                if len(c.get("custom_id", "")) > 100:
                    problems.append("custom_id over 100")
    return problems


def visible_text(kwargs: dict[str, Any]) -> str:
    parts = [kwargs.get("content") or ""]
    for e in kwargs.get("embeds") or ([kwargs["embed"]] if kwargs.get("embed") else []):
        d = e.to_dict()
        parts += [d.get("title", ""), d.get("description", ""), d.get("footer", {}).get("text", "")]
        parts += [f["name"] + "\n" + f["value"] for f in d.get("fields", [])]
    return "\n".join(parts)


BARE_URL = re.compile(r"(?<![<(])https?://")

# --------------------------------------------------------------------------- test material
SENTENCES = [
    "The committee met on Tuesday to discuss the grain corridor.",
    "Officials said the talks were productive!",
    "Was the agreement signed?",
    "Nobody could confirm it, according to @everyone in the room and <@&123>.",
    "Shipments resumed in August, with 12 vessels leaving Odesa.",
    "\nA new paragraph begins here and it keeps going for a while without much to say.",
]


def make_doc(seed: int, length: int, *, sentences: bool = True) -> str:
    rng = random.Random(seed)
    out = []
    size = 0
    while size < length:
        piece = rng.choice(SENTENCES) if sentences else "x" * rng.randint(5, 40)
        piece = piece + " " if sentences else piece
        out.append(piece)
        size += len(piece)
    return "".join(out)[:length]


def make_answer(
    docs: dict[str, str],
    spans: list[tuple[int, str, int, int]],
    *,
    title_len: int = 40,
    url_len: int = 40,
    question: str = "What happened to the grain corridor?",
    extra_sources: int = 0,
) -> Answer:
    excerpts = [
        Excerpt(number=n, doc_id=d, chunk=i, start=s, end=e, text=docs[d][s:e], score=1.0 - i / 100)
        for i, (n, d, s, e) in enumerate(spans)
    ]
    numbers = sorted({n for n, *_ in spans}) + list(range(100, 100 + extra_sources))
    sources = [
        Source(
            number=n,
            doc_id=f"doc{n}.txt",
            title=("Title " * 100)[:title_len] + str(n),
            date=date(2022, 6, n % 28 + 1),
            url="https://example.org/" + "a" * url_len + str(n),
        )
        for n in numbers
    ]
    return Answer(question=question, answered=True, message=f"Found {len(excerpts)} passages.",
                  excerpts=excerpts, sources=sources, evidence=0.8, elapsed_ms=42.0)


def check_answer(answer: Answer, docs: dict[str, str]) -> render.RenderedAnswer:
    """The invariants every rendered answer must satisfy."""
    rendered = render.render_answer(answer)
    kwargs = rendered.kwargs()
    assert limit_violations(**kwargs, view=feedback_view(123456789)) == []
    assert kwargs["allowed_mentions"].to_dict()["parse"] == []
    if not rendered.embeds:
        return rendered
    embed = rendered.embeds[0]
    description = embed.description or ""
    listed = {}
    for f in embed.fields:
        for line in f.value.splitlines():
            m = re.match(r"^\[(\d+)\] ", line)
            assert m, line
            listed[int(m.group(1))] = line
    # every shown excerpt is a verbatim slice of its document and appears quoted with its number
    assert rendered.excerpts, "an answered question shows at least one excerpt"
    for shown in rendered.excerpts:
        doc = next(docs[e.doc_id] for e in answer.excerpts if e.doc_id == shown.doc_id)
        assert shown.text, "an excerpt is never trimmed to nothing"
        assert doc[shown.start : shown.start + len(shown.text)] == shown.text
        assert shown.block in description
        assert shown.number in listed
        if shown.trimmed:
            assert shown.block.endswith(f"{render.ELLIPSIS} **[{shown.number}]**")
    # every citation number shown points at a listed source, and only cited sources are listed
    cited = {int(n) for n in re.findall(r"\*\*\[(\d+)\]\*\*", description)}
    assert cited == set(listed) == {s.number for s in rendered.sources}
    assert not BARE_URL.search(visible_text(kwargs))
    return rendered


# --------------------------------------------------------------------------- answers
def test_ordinary_answer_quotes_verbatim_and_lists_cited_sources() -> None:
    docs = {"doc1.txt": make_doc(1, 3000), "doc2.txt": make_doc(2, 3000)}
    answer = make_answer(docs, [(1, "doc1.txt", 0, 400), (2, "doc2.txt", 100, 700), (1, "doc1.txt", 900, 1300)])
    rendered = check_answer(answer, docs)
    assert len(rendered.excerpts) == 3 and rendered.omitted == 0
    assert not any(s.trimmed for s in rendered.excerpts)
    lines = rendered.embeds[0].fields[0].value.splitlines()
    assert lines[0] == "[1] Title Title Title Title Title Title Titl1 (2022-06-02) <https://example.org/" + "a" * 40 + "1>"
    assert re.fullmatch(r"\[2\] .+ \(2022-06-03\) <https://example\.org/a+2>", lines[1])
    assert rendered.embeds[0].title == answer.question


def test_quoted_everyone_is_sent_but_never_pings() -> None:
    docs = {"doc1.txt": "Notice to @everyone and <@&123>: the meeting moved. " * 3}
    answer = make_answer(docs, [(1, "doc1.txt", 0, len(docs["doc1.txt"]))], question="@everyone what moved?")
    rendered = check_answer(answer, docs)
    assert "@everyone" in rendered.embeds[0].description  # verbatim, not escaped
    assert rendered.kwargs()["allowed_mentions"].to_dict() == {"parse": []}  # no users, roles, everyone, reply ping


def test_a_documents_markdown_is_shown_as_written() -> None:
    """A document's "*" closed two sentences later (or never) would pair with the citation's "**" and
    italicise the rest; "||" would hide text as a spoiler; "[here](url)" would be a disguised link. Shown
    escaped, they read as the document's characters, and the citation stays bold."""
    text = ("Our on-call rota lives in the *Operations handbook. It is updated every Monday || weekly. "
            "See [the wiki](https://evil.example/x) for more.")
    docs = {"doc1.txt": text}
    answer = make_answer(docs, [(1, "doc1.txt", 0, len(text))])
    answer.sources[0].title = "Rota **draft** [click](https://evil.example/y)"
    rendered = check_answer(answer, docs)
    description = rendered.embeds[0].description
    assert r"the \*Operations handbook" in description and r"\|\| weekly" in description
    assert r"\[the wiki\](https://evil.example/x)" in description
    assert description.endswith("**[1]**")
    assert rendered.embeds[0].fields[0].value.startswith(r"[1] Rota \*\*draft\*\* \[click\](https://evil.example/y)")
    assert "[1] Rota **draft** [click](https://evil.example/y)" in rendered.plain_text(), "the record keeps the title"
    link = render.quote("See https://wiki.example.org/Refund_policy_2024 for the *rules")
    assert link == r"> See https://wiki.example.org/Refund_policy_2024 for the \*rules", "a bare link is left whole"
    wiki = render.quote("See https://en.wikipedia.org/wiki/C_(programming_language) for *C")
    assert wiki == r"> See https://en.wikipedia.org/wiki/C_(programming_language) for \*C"


LUMENFEED = ("Questions go to the `#help` channel on our [Discord server](https://discord.gg/lumenfeed).\n"
             "**Temporary ban:** a ban from all community spaces for 30 days.")


def test_a_markdown_documents_formatting_is_drawn_and_a_text_files_is_not() -> None:
    """A tester on a Markdown project's notes saw `#help`, [Discord server](...) and **Temporary ban:** as
    raw characters and read the quote as broken. From a .md document they are sent as its markup, for
    Discord to draw; the same characters in a .txt document are characters and stay escaped."""
    docs = {"notes/conduct.md": LUMENFEED, "notes/conduct.txt": LUMENFEED}
    md = check_answer(make_answer(docs, [(1, "notes/conduct.md", 0, len(LUMENFEED))]), docs)
    assert md.embeds[0].description.endswith(
        "> Questions go to the `#help` channel on our [Discord server](https://discord.gg/lumenfeed).\n"
        "> **Temporary ban:** a ban from all community spaces for 30 days. **[1]**")
    assert md.excerpts[0].text == LUMENFEED, "what was shown is still the document's slice"
    assert "“Questions go to the `#help` channel" in md.plain_text(), "the record keeps the characters"
    txt = check_answer(make_answer(docs, [(1, "notes/conduct.txt", 0, len(LUMENFEED))]), docs)
    assert r"\`#help\` channel on our \[Discord server\](https://discord.gg/lumenfeed)" in txt.embeds[0].description
    assert r"> \*\*Temporary ban:\*\* a ban" in txt.embeds[0].description


@pytest.mark.parametrize(("written", "shown"), [
    ("a *b* _c_ **d** `e*f` [g](https://x.org/h_i)", "a *b* _c_ **d** `e*f` [g](https://x.org/h_i)"),
    ("``a`b`` and `c\\d`", "``a`b`` and `c\\d`"),  # code is sent as written: an escape there would show
    ("It ends in an *unclosed", r"It ends in an \*unclosed"),
    ("It ends in **an unclosed", r"It ends in \*\*an unclosed"),
    ("***both*** __under__ ||spoiler|| ~~struck~~", r"\*\*\*both\*\*\* \_\_under\_\_ \|\|spoiler\|\| \~\~struck\~\~"),
    ("snake_case_name and 2*3", r"snake\_case\_name and 2\*3"),
    ("a *b\nc* d", "a \\*b\n> c\\* d"),  # a span never crosses a line of the block quote
    ("[x](javascript:alert(1)) [y](http://a b) [z](https://a.org/(b))", r"\[x\](javascript:alert(1)) \[y\](http://a b) "
     r"\[z\](https://a.org/(b))"),
    ("[https://bank.example](https://evil.example) [bank.example/login](https://evil.example)",
     r"\[https://bank.example\](https://evil.example) \[bank.example/login\](https://evil.example)"),
    ("![logo](https://x.org/logo.png)", r"!\[logo\](https://x.org/logo.png)"),
    ("[a](https://x.org/a\\b)", "\\[a\\](https://x.org/a\\b)"),  # the bare URL is left whole, as before
    ("*see https://x.org/a*b", r"\*see https://x.org/a*b"),  # an emphasis that would cut a link in two
    ("<t:1700000000:R> <:party:123> @everyone # not a heading", "<t:1700000000:R> <:party:123> @everyone # not a heading"),
])
def test_only_balanced_inline_markdown_is_drawn(written: str, shown: str) -> None:
    """Bold, italic, code and http(s) masked links are drawn when they close on the quote's own line;
    everything else is escaped as in any document (or left as today: timestamps, emoji, mentions)."""
    assert render.quote(written, markdown=True) == "> " + shown


def test_a_markdown_quote_never_eats_its_citation() -> None:
    """A quote that stops inside an unclosed "*" or "`" (or before a "**" that would pair with the
    citation's) still ends in a bold citation, and nothing after the quote turns italic or code."""
    text = "Rule one is *strict. Rule two uses `code and **bold"
    docs = {"rules.md": text, "other.md": "See **the** list_ and `x` [y](https://y.org) *z"}
    answer = make_answer(docs, [(1, "rules.md", 0, len(text)), (2, "other.md", 0, len(docs["other.md"]))])
    description = check_answer(answer, docs).embeds[0].description
    assert r"Rule one is \*strict. Rule two uses \`code and \*\*bold **[1]**" in description
    assert r"> See **the** list\_ and `x` [y](https://y.org) \*z **[2]**" in description


@pytest.mark.parametrize("seed", range(40))
def test_random_markdown_reads_as_the_document(seed: int) -> None:
    """Whatever mix of markup a Markdown quote holds, what people read is the document's characters:
    removing the escapes gives the slice back, and outside code spans every marker left unescaped is
    paired on its line, so none can reach the citation."""
    rng = random.Random(seed)
    text = "".join(rng.choice(["*", "**", "_", "`", "[", "]", "(", ")", "|", "~", " ", "a", "b ", "\n",
                               "https://x.org/", "](https://y.org/p)", "!"]) for _ in range(rng.randint(1, 60)))
    shown = render.as_written(text, markdown=True)
    assert re.sub(r"\\([\\*_~`\[\]|])", r"\1", shown) == text or "\\" in text
    for line in shown.split("\n"):
        outside = re.sub(r"(`{1,2})(?!`).*?[^`]\1(?!`)", "", line)  # code spans as Discord reads them
        outside = re.sub(r"\\.", "x", re.sub(r"https?://[^\s<>()\[\]\\]+", "", outside))
        for marker in ("**", "`"):
            assert outside.count(marker) % 2 == 0, (text, shown)


def test_an_excerpt_made_of_markup_characters_still_fits() -> None:
    docs = {"doc1.txt": "*_" * 20_000}
    answer = make_answer(docs, [(1, "doc1.txt", 0, 40_000)], title_len=3000, url_len=5000)
    rendered = check_answer(answer, docs)
    assert rendered.excerpts[0].trimmed and rendered.excerpts[0].text


def test_long_answer_is_shortened_never_rejected() -> None:
    docs = {f"doc{n}.txt": make_doc(n, 20_000) for n in range(1, 11)}
    spans = [(n, f"doc{n}.txt", 500 * n, 500 * n + 3000) for n in range(1, 11)]
    answer = make_answer(docs, spans, title_len=300, url_len=490)
    rendered = check_answer(answer, docs)
    assert rendered.omitted > 0, "fewer excerpts"
    assert all(s.trimmed for s in rendered.excerpts), "each long excerpt trimmed"
    for s in rendered.excerpts:  # trimmed at a sentence end
        assert s.text.rstrip().endswith((".", "!", "?")), s.text[-40:]
    assert "left out to fit" in rendered.embeds[0].footer.text


def test_single_giant_excerpt_without_sentence_ends_is_trimmed_to_fit() -> None:
    docs = {"doc1.txt": make_doc(7, 50_000, sentences=False)}
    answer = make_answer(docs, [(1, "doc1.txt", 10, 45_000)], title_len=3000, url_len=5000,
                         question="?" * 10_000)
    rendered = check_answer(answer, docs)
    assert len(rendered.excerpts) == 1 and rendered.excerpts[0].trimmed
    assert len(rendered.embeds[0].title) <= 256


def test_orphan_citation_numbers_are_not_shown() -> None:
    docs = {"doc1.txt": make_doc(3, 2000), "doc2.txt": make_doc(4, 2000)}
    answer = make_answer(docs, [(1, "doc1.txt", 0, 300), (2, "doc2.txt", 0, 300)], extra_sources=3)
    answer.sources = [s for s in answer.sources if s.number != 2]  # excerpt [2] has no source
    rendered = check_answer(answer, docs)
    assert [s.number for s in rendered.excerpts] == [1]
    assert [s.number for s in rendered.sources] == [1], "uncited sources are not listed"


def test_not_covered_is_brief_and_has_no_citations() -> None:
    answer = Answer(question="Who won the 1950 World Cup?", answered=False,
                    message="No passage is close enough (best similarity 0.21).", evidence=0.21)
    rendered = render.render_answer(answer)
    kwargs = rendered.kwargs()
    assert rendered.embeds == [] and rendered.excerpts == []
    assert "don't cover" in kwargs["content"]
    assert "[1]" not in kwargs["content"] and "http" not in kwargs["content"]
    assert len(kwargs["content"].splitlines()) <= 2
    assert limit_violations(**kwargs) == []


@pytest.mark.parametrize("seed", range(300))
def test_random_answers_respect_every_limit(seed: int) -> None:
    rng = random.Random(seed)
    docs = {f"doc{n}.txt": make_doc(seed * 31 + n, rng.randint(200, 30_000), sentences=rng.random() < 0.8)
            for n in range(1, 13)}
    spans = []
    for _ in range(rng.randint(1, 12)):
        n = rng.randint(1, 12)
        doc = docs[f"doc{n}.txt"]
        start = rng.randint(0, len(doc) - 1)
        end = min(len(doc), start + rng.choice([50, 300, 800, 2000, 9000]))
        if doc[start:end].strip():
            spans.append((n, f"doc{n}.txt", start, end))
    if not spans:
        spans = [(1, "doc1.txt", 0, min(100, len(docs["doc1.txt"])))]
    answer = make_answer(docs, spans, title_len=rng.choice([5, 80, 400]), url_len=rng.choice([10, 200, 900]),
                         question=rng.choice(["short?", "long " * 500]))
    check_answer(answer, docs)


# --------------------------------------------------------------------------- text helpers
@pytest.mark.parametrize("limit", [1, 10, 57, 200, 1000])
def test_trim_at_sentence_returns_a_prefix_ending_at_a_sentence(limit: int) -> None:
    text = make_doc(11, 5000)
    out = render.trim_at_sentence(text, limit)
    assert text.startswith(out) and len(out) <= limit
    if limit >= 200:
        assert out.endswith((".", "!", "?")), out[-30:]


def test_trim_start_at_sentence_returns_a_suffix() -> None:
    text = make_doc(12, 5000)
    out = render.trim_start_at_sentence(text, 300)
    assert text.endswith(out) and len(out) <= 300
    assert out[0].isupper() or out[0] == "<"


def test_notices_shorten_what_was_typed_and_keep_both_ends() -> None:
    text = render.notice(f"🔎 no document '{'x' * 3000}' in the index (see `sources`)")
    assert len(text) <= 200 and text.startswith("🔎 no document 'xxx") and text.endswith("' in the index (see `sources`)")
    assert render.notice("⛔ Refused: `" + "n" * 5000 + ".md` is too big. Nothing was changed.").endswith(
        "Nothing was changed.")
    unquoted = render.notice("word " * 2000)
    assert len(unquoted) <= render.NOTICE_LIMIT and unquoted.startswith("word word") and render.ELLIPSIS in unquoted
    assert render.notice("Short and sweet.") == "Short and sweet."
    rng = random.Random(5)
    for _ in range(200):
        raw = "".join(rng.choice(["'", '"', "`", "“", "”", " ", "a" * rng.randint(1, 900), "\n"])
                      for _ in range(rng.randint(0, 30)))
        assert len(render.notice(raw)) <= render.NOTICE_LIMIT
        assert len(render.notice(raw, 5000)) <= render.CONTENT_LIMIT


def test_links_are_wrapped_so_discord_shows_no_preview() -> None:
    assert render.link("https://example.org/x") == "<https://example.org/x>"
    assert render.link(None) == "" and render.link("https://x/" + "a" * 600) == ""
    line = render.source_line(3, "A title", date(2022, 6, 1), "https://example.org/x")
    assert line == "[3] A title (2022-06-01) <https://example.org/x>"
    assert render.source_line(4, "Undated", None, None) == "[4] Undated"


# --------------------------------------------------------------------------- other messages
def make_hits(n: int, size: int) -> list[Hit]:
    return [
        Hit(rank=i + 1, score=0.5, dense=0.6, doc_id=f"d{i}.txt" * 10, chunk=i, start=0, end=size,
            text=make_doc(i, size), title="T" * 500, date=date(2022, 1, 1), url="https://e.org/" + "u" * 300)
        for i in range(n)
    ]


@pytest.mark.parametrize("n,size", [(1, 100), (5, 900), (10, 5000), (25, 20_000)])
def test_search_results_fit(n: int, size: int) -> None:
    kwargs = render.render_hits("what about @everyone " * 40, make_hits(n, size))
    assert limit_violations(**kwargs) == []
    assert not BARE_URL.search(visible_text(kwargs))
    assert "**1.**" in kwargs["embeds"][0].description


def test_search_without_hits() -> None:
    kwargs = render.render_hits("nothing", [])
    assert kwargs["embeds"] == [] and "No passages" in kwargs["content"]


def test_source_with_focus_shows_the_passage_and_its_context() -> None:
    doc = make_doc(21, 30_000)
    chunks = [ChunkView(chunk=i, start=i * 1000, end=i * 1000 + 1200, text=doc[i * 1000 : i * 1000 + 1200])
              for i in range(4, 7)]
    view = SourceView(
        document=DocumentInfo(doc_id="a.txt", title="A title", date=date(2022, 6, 1),
                              url="https://example.org/a", chunks=30, chars=len(doc)),
        text=doc[4000:7200], focus=5, chunks=chunks,
    )
    kwargs = render.render_source(view)
    assert limit_violations(**kwargs) == []
    embed = kwargs["embeds"][0]
    focus = doc[5000:6200].strip()
    assert render.quote(render.trim_at_sentence(focus, 4000)) in embed.description
    assert embed.title == "A title"
    assert "<https://example.org/a>" in embed.fields[0].value and "2022-06-01" in embed.fields[0].value
    assert "Passage 5" in embed.fields[0].name


def test_whole_huge_document_is_trimmed() -> None:
    doc = make_doc(22, 200_000)
    view = SourceView(document=DocumentInfo(doc_id="b.md", title="B" * 1000, chunks=300, chars=len(doc)),
                      text=doc, chunks=[])
    kwargs = render.render_source(view)
    assert limit_violations(**kwargs) == []
    assert kwargs["embeds"][0].description.endswith(render.ELLIPSIS)


def make_docs(n: int) -> list[DocumentInfo]:
    return [DocumentInfo(doc_id=f"{i:04d}_" + "x" * 60 + ".txt", title=f"Document {i} " + "t" * 200,
                         date=date(2022, 1, 1 + i % 28), url="https://example.org/" + "p" * 150, chunks=i, chars=100)
            for i in range(n)]


@pytest.mark.parametrize("per_page", [1, 10, 25])
def test_sources_pages_fit_and_cover_every_document(per_page: int) -> None:
    docs = make_docs(237)
    seen = []
    first = render.render_sources_page(docs, 0, per_page)
    for page in range(first.pages):
        result = render.render_sources_page(docs, page, per_page)
        assert result.page == page
        assert limit_violations(embed=result.embed, view=pager(result.page, result.pages)) == []
        seen += re.findall(r"`(\d{4})_", result.embed.description)
    assert seen == [f"{i:04d}" for i in range(237)]
    assert render.render_sources_page(docs, 10_000, per_page).page == first.pages - 1  # stale page clamps


def test_pager_buttons() -> None:
    assert pager(0, 1) is None
    rows = pager(0, 3).to_components()
    buttons = rows[0]["components"]
    assert [b["custom_id"] for b in buttons] == ["docbot:sources:0:prev", "docbot:sources:1:next"]
    assert buttons[0]["disabled"] is True and buttons[1]["disabled"] is False
    last = pager(2, 3).to_components()[0]["components"]
    assert last[1]["disabled"] is True and last[0]["custom_id"] == "docbot:sources:1:prev"


def test_feedback_buttons_encode_the_answer_id() -> None:
    rows = feedback_view(987654321012).to_components()
    assert [b["custom_id"] for b in rows[0]["components"]] == [
        "docbot:vote:987654321012:up", "docbot:vote:987654321012:down"]
    assert [b["emoji"]["name"] for b in rows[0]["components"]] == ["👍", "👎"]


def test_report_progress_stats_and_help_fit() -> None:
    report = IndexReport(added=[f"new_{i}.md" for i in range(500)], changed=["c.txt"], removed=["r.txt"],
                         unchanged=7, skipped=[f"bad{i}.txt: binary" for i in range(300)], chunks_embedded=40,
                         chunks_total=400, documents_total=520, seconds=3.25, published=True)
    text = render.render_report(report)
    assert len(text) <= 2000
    assert "500 added, 1 changed, 1 removed, 7 unchanged" in text and "3.2 s" in text
    progress = render.render_progress(IndexProgress(stage="embed", documents_done=0, documents_total=9,
                                                    chunks_done=120, chunks_total=400), elapsed=12.7)
    assert progress == "⏳ Re-indexing: embedding passages 120/400 (30%) · 12 s"
    scan = render.render_progress(IndexProgress(stage="scan", documents_done=200, documents_total=4816))
    assert scan == "⏳ Re-indexing: reading documents 200/4,816 (4%) · 0 s"
    loading = render.render_progress(IndexProgress(stage="prepare", documents_done=9, documents_total=9), elapsed=4)
    assert loading == "⏳ Re-indexing: loading the model · 4 s"
    long_what = render.render_progress(None, what="Removing `" + "x" * 3000 + "`", elapsed=3)
    assert len(long_what) <= 200 and long_what.endswith("`: starting · 3 s")
    stats = IndexStats(documents=9, chunks=400, model="m" * 2000, dimension=384, index_type="flat",
                       size_bytes=5_000_000, indexed_at=datetime(2024, 1, 2, tzinfo=timezone.utc), data_dir="/d")
    feedback = FeedbackStats(questions=10, answered=7, up=3, down=2,
                             recent_down=[VoteRecord(i, "why " * 200, [f"d{j}.txt#{j}" for j in range(50)], -1)
                                          for i in range(5)])
    embed = render.render_stats(stats, feedback)
    assert limit_violations(embed=embed) == []
    values = "\n".join(f.value for f in embed.fields)
    assert "7 answered" in values and "👍 3" in values and "👎 2" in values and "<t:1704153600:f>" in values
    assert limit_violations(embed=render.render_stats(None, FeedbackStats())) == []
    assert limit_violations(embed=render.render_help(is_admin=True, cooldown="x" * 100)) == []
    assert "/reindex" not in render.render_help(is_admin=False, cooldown="").fields[-1].value


def test_autocomplete_choices_fit_discord() -> None:
    docs = make_docs(100) + [DocumentInfo(doc_id="z" * 150 + ".txt", title="too long id", chunks=1, chars=1)]
    choices = document_choices(docs, "document 1")
    assert 0 < len(choices) <= 25
    assert all(len(c.name) <= 100 and len(c.value) <= 100 for c in choices)
    assert choices[0].name.startswith("Document 1")
    assert document_choices(docs, "too long") == []
    assert len(document_choices(docs, "")) == 25


def test_autocomplete_matches_words_of_title_id_and_url_best_first() -> None:
    def doc(doc_id: str, title: str, url: str | None = None, day: int = 1) -> DocumentInfo:
        return DocumentInfo(doc_id=doc_id, title=title, date=date(2022, 6, day), url=url, chunks=1, chars=10)

    docs = [  # newest first, as the engine lists them
        doc("101_a.txt", "Kremlin rejects talks", "https://news.example/2022/06/kremlin-peskov-rejects-talks", 9),
        doc("102_b.txt", "Weather in Kyiv", "https://news.example/weather", 8),
        doc("103_c.txt", "Peskov says no meeting is planned", "https://news.example/world/meeting", 7),
        doc("peskov_notes.md", "Notes", None, 6),
        doc("104_d.txt", "Russia Holds Firm on Opposition to PutinZelenskyy Negotiations", None, 5),
    ]

    def values(typed: str) -> list[str]:
        return [c.value for c in document_choices(docs, typed)]

    assert values("peskov") == ["103_c.txt", "peskov_notes.md", "101_a.txt"], "title word, then id, then URL"
    assert values("PESKOV meeting") == ["103_c.txt"], "every typed word must match; case does not matter"
    assert values("negotiations russia") == ["104_d.txt"], "words in any order"
    assert values("zelensky") == ["104_d.txt"], "inside a word, too"
    assert values("kyiv weather")[0] == "102_b.txt" and values("https") == []
    assert values("103_c.txt")[0] == "103_c.txt" and values("nothing like it") == []
    assert values("") == [d.doc_id for d in docs], "nothing typed: the newest first"


def test_shown_excerpts_cite_their_passage_as_source_reads_it() -> None:
    excerpt = Excerpt(number=1, doc_id="notes#1.md", chunk=2, start=0, end=5, text="Hello", score=1.0)
    ref = render.shown_excerpt(excerpt, 100).ref
    assert ref == "notes#1.md#2" and ChunkRef.parse(ref, {"notes#1.md"}) == ChunkRef("notes#1.md", 2)


def test_a_follow_up_says_which_question_it_was_read_with() -> None:
    from embeddings.models import FollowUp

    answer = Answer(
        question="and what did Lavrov say?", answered=True, message="1 excerpt from 1 source:",
        excerpts=[Excerpt(number=1, doc_id="a.txt", chunk=0, start=0, end=5, text="Hello", score=1.0)],
        sources=[Source(number=1, doc_id="a.txt", title="A")], evidence=0.9,
        follow_up=FollowUp(kind="follow-up", earlier=["and Peskov?", "What did Putin say about a meeting?"]),
    )
    footer = render.render_answer(answer).embeds[0].footer.text
    assert footer.startswith("Read as a follow-up to “What did Putin say about a meeting?”.")
    alone = render.render_answer(answer.model_copy(update={"follow_up": None})).embeds[0].footer.text
    assert "follow-up" not in alone
