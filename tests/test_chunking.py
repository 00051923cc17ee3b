"""Chunking: sentence boundaries, token budgets, overlap, and offsets that slice the source verbatim."""

from __future__ import annotations

from embeddings.chunking import approximate_token_counts, chunk_text, split_sentences
from embeddings.documents import Document, read_file
from embeddings.indexer import chunk_document
from embeddings.settings import EngineSettings

from .conftest import SEEDS


def _texts(text, spans):
    return [text[s.start : s.end] for s in spans]


def test_sentences_respect_abbreviations_and_initials():
    text = "Mr. Smith met Dr. J. Doe in the U.S. on Monday. They talked. \"Really?\" she asked.\nNew line"
    assert _texts(text, split_sentences(text)) == [
        "Mr. Smith met Dr. J. Doe in the U.S. on Monday.",
        "They talked.",
        '"Really?" she asked.',
        "New line",
    ]


def test_chunks_are_verbatim_slices_within_budget_with_overlap():
    seed = next(SEEDS.glob("*.txt"))
    doc = read_file(seed.name, seed)
    spans = chunk_text(doc.text, max_tokens=60, overlap_tokens=20)
    assert len(spans) > 3
    sentences = split_sentences(doc.text)
    starts = {s.start for s in sentences}
    ends = {s.end for s in sentences}
    for span in spans:
        piece = doc.text[span.start : span.end]
        assert piece == piece.strip() and piece  # whole sentences, trimmed
        # Chunks start and end on sentence boundaries, or on word boundaries inside a sentence
        # too long for one chunk.
        assert span.start in starts or doc.text[span.start - 1].isspace()
        assert span.end in ends or doc.text[span.end].isspace()
        inner = _texts(doc.text, split_sentences(doc.text, span.start, span.end))
        assert sum(approximate_token_counts(inner)) <= 60 or len(inner) == 1
    # Consecutive chunks overlap a little (a sentence) but always move forward.
    assert any(b.start < a.end for a, b in zip(spans, spans[1:]))
    assert all(b.start > a.start and b.end > a.end for a, b in zip(spans, spans[1:]))
    # Every word of the document is in some chunk: nothing is lost between chunks.
    covered = set()
    for c in spans:
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(doc.text) if not ch.isspace())


def test_overlong_sentence_is_cut_at_words():
    text = " ".join(f"word{i}" for i in range(500)) + "."
    spans = chunk_text(text, max_tokens=100, overlap_tokens=0)
    assert len(spans) >= 5
    for s in spans:
        piece = text[s.start : s.end]
        assert piece.startswith("word") and not piece.endswith(" ")
    assert spans[0].start == 0 and spans[-1].end == len(text)


def test_empty_text_has_no_chunks():
    assert chunk_text("   \n  ", max_tokens=50, overlap_tokens=10) == []


def test_no_chunk_crosses_a_page_break():
    page = "The keeper lit the lamp at dusk. " * 6
    text = (page.strip() + "\n\n") * 3
    breaks = [0, len(page) + 1, 2 * (len(page) + 1)]
    whole = chunk_text(text, max_tokens=200, overlap_tokens=20)
    assert len(whole) == 1, "without breaks the three pages fit one chunk"
    chunks = chunk_text(text, max_tokens=200, overlap_tokens=20, breaks=breaks)
    assert [(c.start, c.end) for c in chunks] == [(b, b + len(page.strip())) for b in breaks]


FAQ = """# Orbit FAQ

## Does Orbit support face recognition?

Face recognition has been available since Orbit 3.0. It runs on your own machine.

## Who answers questions in #help?

Volunteers answer most questions, together with the support team led by Priya Raman.

PAGE TWO

We aim to reply within 48 hours.
"""


def test_a_document_is_chunked_section_by_section():
    """A chunk of an FAQ holds one question's answer, not the end of one and the start of the next. A
    line in capitals ("PAGE TWO") is not cut at: it is only a guess at a heading (in news, credits and
    speakers' names). Without Markdown headings a document is chunked as before."""
    settings = EngineSettings(_env_file=None)
    doc = Document("faq.md", "Orbit FAQ", FAQ, "h")
    assert len(chunk_text(FAQ, max_tokens=settings.chunk_tokens, overlap_tokens=0)) == 1  # it would fit one
    chunks = [FAQ[s:e] for s, e in chunk_document(doc, settings)]
    assert chunks == [  # a heading with no text of its own stays with the next one
        "# Orbit FAQ\n\n## Does Orbit support face recognition?\n\nFace recognition has been available since "
        "Orbit 3.0. It runs on your own machine.",
        "## Who answers questions in #help?\n\nVolunteers answer most questions, together with the support "
        "team led by Priya Raman.\n\nPAGE TWO\n\nWe aim to reply within 48 hours.",
    ]
    plain = FAQ.replace("#", "").replace("PAGE TWO", "Page two.")
    assert chunk_document(Document("faq.txt", "Orbit FAQ", plain, "h"), settings) == [
        (s.start, s.end) for s in chunk_text(plain, max_tokens=settings.chunk_tokens,
                                              overlap_tokens=settings.chunk_overlap_tokens)]


def test_what_chunker_3_cut_alike_is_kept():
    """Chunker 4 differs from 3 at soft wraps and code fences only: other documents keep their vectors."""
    from embeddings.chunking import chunked_alike

    plain = "# Rules\n\nBe kind.\n\nNo spam in #general.\n"
    assert chunked_alike(3, 4, plain) and chunked_alike(4, 4, plain)
    assert not chunked_alike(2, 4, plain)  # a chunk did not carry its section then
    assert not chunked_alike(3, 4, "Receipts must be submitted within 60 days of purchase, through the\nform.")
    assert not chunked_alike(3, 4, "Install:\n\n```\npip install orbit\n```\n")


def test_what_chunker_9_cut_alike_is_kept():
    """Chunker 10 reads a heading as one sentence ("1. Overview" was "1." and "Overview") and quotes no
    Markdown image at a sentence's edge: only the documents that have either are embedded again."""
    from embeddings import store
    from embeddings.chunking import chunked_alike

    assert store.CHUNKER_VERSION >= 10
    for same in ("Plain prose. It has two sentences.\n", "# Opening hours\n\nThe hall opens at 9. Bring ID.\n",
                 "```md\nSee ![the icon](i.png) here.\n```\n",
                 "# Rules\n\n3. Shifts\n3.1 Shifts are booked a week ahead.\n", "# Dr. Smith's notes\n\nText.\n",
                 "See ![the icon](i.png) in the corner.\n"):  # an image inside a sentence stays in it
        assert chunked_alike(9, 10, same) and chunked_alike(8, 10, same), same
    assert chunked_alike(9, 10, "Text.\n\n![Diagram](arch.png)\n")  # a line of images only: never quoted since 9
    for changed in ("# 1. Overview\n\nText.\n", "Part 2. Basics\n==============\n\nText.\n",
                    "See the corner. ![the icon](i.png)\n", "[![CI](https://ci/b.svg)](https://ci) Orbit runs jobs.\n"):
        assert not chunked_alike(9, 10, changed) and not chunked_alike(8, 10, changed), changed
        assert not chunked_alike(5, 10, changed), changed


def test_what_chunker_8_cut_alike_is_kept():
    """Chunker 9 no longer quotes an HTML comment's lines or a front matter's metadata records ("tags:",
    "layout:"): only the notes that have one are embedded again."""
    from embeddings.chunking import chunked_alike

    for same in ("Plain prose.\n", "---\ntitle: Guide\ndate: 2024-05-20\nauthor: Ann\n---\n\nText.\n",
                 "Compare a <!-- b --> c inline.\n", "```html\n<!-- a comment in code -->\n```\n",
                 "See ![the icon](i.png) in the corner.\n"):
        assert chunked_alike(8, 9, same) and chunked_alike(7, 9, same), same
    for changed in ("<!-- TODO: add the link -->\n\nText.\n", "Text.\n\n<!--\nhidden\n-->\n",
                    "---\ntitle: Guide\ntags: [a, b]\n---\n\nText.\n", "Text.\n\n![Diagram](arch.png)\n",
                    "[![CI](https://ci/badge.svg)](https://ci) ![cov](c.svg)\n\nText.\n"):
        assert not chunked_alike(8, 9, changed) and not chunked_alike(5, 9, changed), changed
    assert not chunked_alike(7, 9, "Spring LAN Party 2024 - Schedule\n\nDoors open.\n", "Spring LAN Party 2024 - Schedule")


def test_what_chunker_4_cut_alike_is_kept():
    """Chunker 5 reads tables, underlined headings, rules, code blocks, front matter, task boxes and
    footnotes (``sentences.layout``): only documents holding one are embedded again."""
    from embeddings.chunking import chunked_alike

    plain = "# Rules\n\nBe kind.\n\n- No spam in #general.\n\nPrices are 5 | 6 euros.\n"
    assert chunked_alike(4, 5, plain) and chunked_alike(3, 5, plain)
    for marked in ("| a | b |\n|---|---|\n| 1 | 2 |\n", "Title\n=====\n\nText.\n", "One.\n\n___\n\nTwo.\n",
                   "```\n# comment\n```\n", "---\ntitle: x\n---\nText.\n", "- [ ] Buy milk.\n", "[^1]: A note.\n",
                   "> - [ ] Replace the bulb.\n", "> [^1]: Measured in 2019.\n",  # in a block quote too
                   "```inline``` code\nwrapped here and\ngoing on\n",  # chunker 4 took it for a fence
                   "---\nUnclosed and\nwrapped lines\n"):  # and this for a front matter
        assert not chunked_alike(4, 5, marked), marked
    assert not chunked_alike(3, 5, "Receipts must be submitted within 60 days of purchase, through the\nform.")
    # A title read differently is embedded with every chunk: "#" then a line (chunker 4 read "Foo bar"),
    # a full-width space after "#", an underline at the edge of the title window; and a first "---"
    # after a form feed, which chunker 4 took for a front matter's opening.
    for retitled in ("#\nFoo bar\n\nText.\n", "#\u3000見出し\n\n本文です。\n",
                     "A" * 3990 + "\n\nTitle\n-- then more words\n\nbody\n",
                     "\x0c---\nThis is a long line of text that wraps because the editor wrapped it at the\ncolumn.\n"):
        assert not chunked_alike(4, 5, retitled), retitled[:20]


def test_what_chunker_10_cut_alike_is_kept():
    """Chunker 11 reads a short line naming the lines below it as a heading, a front matter's date as no
    quote and an image inside a sentence as part of it: only the notes that have one are embedded again
    (none of news2022's 4,816 articles)."""
    from embeddings import store
    from embeddings.chunking import chunked_alike

    assert store.CHUNKER_VERSION >= 11
    for same in ("Plain prose.\n", "Hours:\n\nMon-Fri 10-23\nSat 9-22\n", "**Location**\nThe old hall.\n",
                 "1. Scope\n1.1 This policy applies to all.\n", "---\ntitle: Guide\nauthor: Ann\n---\n\nText.\n"):
        assert chunked_alike(10, 11, same) and chunked_alike(7, 11, same), same
    for changed in ("Intro.\n\nSunday 19 May\n10:00  Playoffs\n", "Present: Anja.\n\n1. New mats\nThe mats are old.\n",
                    "---\ntitle: Guide\ndate: 2024-05-20\n---\n\nText.\n"):
        assert not chunked_alike(10, 11, changed) and not chunked_alike(8, 11, changed), changed
    # Version 10 cut an image out of the sentence it stood in; 11 keeps it there: such a note is read again.
    assert not chunked_alike(10, 11, "The board ![logo](img/logo.png) meets on Fridays.\n")
    assert chunked_alike(10, 11, "---\ntitle: Guide\ndate: 1 May 2024\n---\n\nText.\n")  # a date not shown


def test_what_chunker_11_cut_alike_is_kept():
    """Chunker 12 reads a photo gallery's line of captions as captions: only the articles that have one are
    embedded again (43 of news2022's 4,816), the others keep their vectors."""
    from embeddings import store
    from embeddings.chunking import chunked_alike

    assert store.CHUNKER_VERSION >= 12
    for same in ("Plain prose.\n", "The photos: all of them.\n", "Hide the caption, please.\n",
                 "Long lines form for tests. John Moore/Getty Images\n"):
        assert chunked_alike(11, 12, same) and chunked_alike(9, 12, same), same
    for changed in ("Text.\nPhotos: Russia invades Ukraine People wait. Hide Caption 1 of 9 Photos: ...\n",
                    "He won the vote. Hide Caption 37 of 37\n", "Photos: Amazing pictures of Earth\n"):
        assert not chunked_alike(11, 12, changed) and not chunked_alike(10, 12, changed), changed


def test_what_chunker_11_embedded_alike_without_nested_sections_is_kept():
    """Chunker 12 also embeds a chunk with the sections its section lies in (a changelog's "## [2.4.1]"
    above its "### Fixed": ``sentences.sections_above``): only the documents with a heading inside another's
    section are embedded again; none of news2022's 4,816 articles has one."""
    from embeddings.chunking import chunked_alike

    for same in ("# Rules\n\nBe kind.\n", "# Title\n\n## One\n\nText.\n\n## Two\n\nText.\n",
                 "Plain prose - with a dash.\n\n- a list item\n", "Title\n=====\n\n## Part\n\nText.\n"):
        assert chunked_alike(11, 12, same) and chunked_alike(9, 12, same), same
    for changed in ("# Changelog\n\n## [2.4.1]\n\n### Fixed\n- A crash.\n", "## Refunds\n\n**Can I get one?**\n\nYes.\n",
                    "Part\n----\n\n### Detail\n\nText.\n"):
        assert not chunked_alike(11, 12, changed) and not chunked_alike(10, 12, changed), changed
