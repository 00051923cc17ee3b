"""Incremental re-indexing: only new and changed documents are embedded; the index mirrors the folder."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from embeddings import Engine, IndexNotFound
from embeddings.encoder import TorchEncoder
from embeddings.indexer import Indexer
from embeddings import store
from embeddings.store import Generation


class CountingEncoder:
    """Wraps the real encoder to count how many texts are embedded."""

    def __init__(self, inner):
        self.inner, self.texts = inner, []
        self.dimension = inner.dimension
        self.tokenizer_path = inner.tokenizer_path

    def encode(self, texts, **kw):
        self.texts.extend(texts)
        return self.inner.encode(texts, **kw)

    def encode_with_sentences(self, texts, sentences, **kw):
        self.texts.extend(texts)
        return self.inner.encode_with_sentences(texts, sentences, **kw)

    def export_onnx(self, directory):
        return self.inner.export_onnx(directory)

    def use_export(self, onnx_model):
        return self.inner.use_export(onnx_model)


def _counting_engine(settings) -> tuple[Engine, CountingEncoder]:
    """An engine whose indexer embeds through a CountingEncoder around the real encoder."""
    counter = CountingEncoder(TorchEncoder(settings.model, precision=settings.embed_precision))
    return Engine(settings, indexer=Indexer(settings, encoder=counter)), counter  # type: ignore[arg-type]


def _chunk_keys(engine: Engine) -> list[tuple[str, int]]:
    gen = engine.generation
    keys = []
    for cid in range(gen.size):
        chunk = gen.chunk(cid)
        keys.append((gen.doc_id(chunk.doc), chunk.ord))
    return keys


def test_add_change_delete_and_unchanged(fresh):
    settings = fresh()
    engine, counter = _counting_engine(settings)
    first = engine.reindex()
    assert first.published and len(first.added) == 4 and first.unchanged == 0
    assert len(counter.texts) == first.chunks_embedded
    counter.texts.clear()

    # Unchanged folder: nothing embedded, nothing written.
    gen_before = (settings.data_dir / "CURRENT").read_text()
    again = engine.reindex()
    assert again.unchanged == 4 and not again.published and counter.texts == []
    assert (settings.data_dir / "CURRENT").read_text() == gen_before

    docs = settings.docs_dir
    (docs / "new.md").write_text("# Tea harvest\nDarjeeling growers picked the first flush in March.\n")
    (docs / "volcano.md").write_text("# Etna quiet\nMount Etna stayed quiet all week, scientists said.\n")
    (docs / "grain.txt").unlink()
    report = engine.reindex()
    assert report.added == ["new.md"] and report.changed == ["volcano.md"] and report.removed == ["grain.txt"]
    assert report.unchanged == 2
    # Only the new and changed documents were embedded (with their titles for context).
    assert counter.texts and all(t.startswith(("Tea harvest\n", "Etna quiet\n")) for t in counter.texts)
    assert report.chunks_embedded == len(counter.texts)

    keys = _chunk_keys(engine)
    assert len(keys) == len(set(keys)), "no duplicate chunks"
    gen = engine.generation
    assert "grain.txt" not in gen
    # The changed document has only its new text: no stale chunks.
    etna = [gen.chunk_text(i) for i in range(gen.size) if gen.doc_id(gen.doc_of(i)) == "volcano.md"]
    assert etna == ["# Etna quiet\nMount Etna stayed quiet all week, scientists said."]
    hits = engine.search("Darjeeling first flush", k=1)
    assert hits[0].doc_id == "new.md"
    assert "grain.txt" not in {s.doc_id for s in engine.ask("Which ship carried corn to Lebanon?").sources}

def test_unchanged_documents_keep_their_vectors(fresh):
    settings = fresh()
    engine = Engine(settings)
    engine.reindex()
    seed = "000_aa59c3a3474d19f0.txt"

    def vectors(gen: Generation) -> np.ndarray:
        pos = gen.position(seed)
        assert pos is not None
        return np.array(gen.document_chunks(pos, gen.document(pos)).vectors)

    old_vecs = vectors(engine.generation)
    (settings.docs_dir / "another.txt").write_text("A different story about chess openings.")
    engine.reindex()
    new_vecs = vectors(engine.generation)
    assert len(old_vecs) and np.array_equal(new_vecs, old_vecs)


def test_an_index_chunked_the_old_way_is_embedded_again_in_full(fresh, monkeypatch):
    """A generation whose chunks were embedded by an older recipe (before a chunk carried its section
    heading) is not mixed with new ones: the next index embeds every document again, and says why."""
    settings = fresh()
    engine = Engine(settings)
    with monkeypatch.context() as m:
        m.setattr(store, "CHUNKER_VERSION", 2)
        engine.reindex()
    assert engine.generation.manifest.chunker == 2
    report = engine.reindex()
    assert report.published and report.unchanged == 0
    assert report.changed and report.chunks_embedded == report.chunks_total
    assert any(f"chunks {len(report.changed)} unchanged document(s) differently" in n for n in report.notes)
    assert engine.generation.manifest.chunker == store.CHUNKER_VERSION
    again = engine.reindex()  # and once is enough
    assert again.unchanged == again.documents_total and not again.notes


WRAPPED_NOTE = """# Expense policy

Receipts must be submitted within 60 days of purchase, through the expenses
form on the wiki, or they cannot be reimbursed.
"""


def _upgraded(settings, monkeypatch, old_version: int, name: str, text: str, marker: str):
    """The engine and the report of an update after an index made by chunker ``old_version``, with the note
    ``name`` (``text``) beside the usual documents: only that note, whose chunks hold ``marker``, is
    embedded again, and the new generation is the current chunker's."""
    (settings.docs_dir / name).write_text(text)
    engine, counter = _counting_engine(settings)
    with monkeypatch.context() as m:
        m.setattr(store, "CHUNKER_VERSION", old_version)
        first = engine.reindex()
    assert engine.generation.manifest.chunker == old_version
    counter.texts.clear()
    report = engine.reindex()
    assert report.changed == [name] and report.unchanged == first.documents_total - 1
    assert all(marker in t for t in counter.texts)  # nothing else was embedded
    assert engine.generation.manifest.chunker == store.CHUNKER_VERSION
    return engine, report


def test_an_index_made_before_soft_wraps_embeds_again_only_the_wrapped_documents(fresh, monkeypatch):
    """Chunker 4 differs from 3 only where a paragraph's lines are wrapped: upgrading re-embeds the notes
    written that way, keeps every other document's vectors, and the wrapped sentence is quoted whole."""
    engine, report = _upgraded(fresh(), monkeypatch, 3, "expenses.md", WRAPPED_NOTE, "Receipts")
    assert any("chunks 1 unchanged document(s) differently" in n for n in report.notes)
    answer = engine.ask("How long do I have to submit receipts?")
    assert any(e.text.startswith("Receipts must be submitted within 60 days of purchase, through the expenses\nform")
               and e.text.endswith("reimbursed.") for e in answer.excerpts)


FAQ_NOTE = """# Hosting FAQ

**How much RAM do I need for a Minecraft server?**
For up to 10 players, the 4 GB plan is enough. Modpacks usually need at least 8 GB.

**Where are your servers located?**
Our servers are in Frankfurt, Amsterdam and Helsinki.
"""


def test_an_index_made_before_bold_labels_embeds_again_only_the_notes_that_have_them(fresh, monkeypatch):
    """Chunker 6 reads a bold line above its paragraph (an FAQ's question) as the paragraph's heading:
    upgrading from 5 re-embeds only the notes with one, and the answer quotes the answer, not the
    question with its asterisks."""
    engine, _ = _upgraded(fresh(), monkeypatch, 5, "faq.md", FAQ_NOTE, "Frankfurt")
    answer = engine.ask("How much memory does a Minecraft server need?")
    assert answer.excerpts[0].text.startswith("For up to 10 players, the 4 GB plan is enough.")
    assert not any("*" in e.text for e in answer.excerpts)


NOTICE_NOTE = """# Spring LAN party

**Doors open at 7pm**
Bring your own PC and a network cable.

**What to bring**
A sleeping bag if you stay the night.
"""


def test_an_index_made_before_notices_in_bold_embeds_again_only_the_notes_that_have_them(fresh, monkeypatch):
    """Chunker 7 quotes a bold line that names a time or an amount ("**Doors open at 7pm**"), which 6
    read as its paragraph's name and never quoted: upgrading re-embeds only the notes with one, and the
    time is quoted."""
    engine, _ = _upgraded(fresh(), monkeypatch, 6, "lan.md", NOTICE_NOTE, "Doors open")
    answer = engine.ask("What time do the doors open at the LAN party?")
    assert answer.answered and any("Doors open at 7pm" in e.text for e in answer.excerpts), answer.excerpts
    # A name stays a name: "What to bring" is the section of the line below it, not a quote.
    bring = engine.ask("What should I bring to the LAN party if I stay the night?")
    assert all("What to bring" not in e.text for e in bring.excerpts)
    assert any(e.section == "What to bring" for e in bring.excerpts if "sleeping bag" in e.text), bring.excerpts


TITLED_NOTE = """Spring LAN Party 2024 - Schedule

The Spring LAN Party takes place on Saturday 18 May at the Oakwood Community Hall, 42 Mill Lane.
"""


def test_an_index_made_before_title_lines_embeds_again_only_the_notes_that_open_with_one(fresh, monkeypatch):
    """Chunker 8 reads a plain note's first line, set apart in title case, as its title: upgrading from 7
    re-embeds only such notes (their title is embedded with every chunk), and the line is not quoted."""
    engine, _ = _upgraded(fresh(), monkeypatch, 7, "lan-party.txt", TITLED_NOTE, "Oakwood")
    answer = engine.ask("Where is the LAN party held?")
    assert answer.answered and answer.excerpts[0].text.startswith("The Spring LAN Party takes place")
    assert all("Schedule" not in e.text for e in answer.excerpts)
    assert answer.sources[0].title == "Spring LAN Party 2024 - Schedule"


COMMENTED_NOTE = """---
title: Orbit deployment guide
tags: [deployment, kubernetes]
---

<!-- TODO: check how long the registry keeps images -->

Images are kept in the registry for 90 days.
"""


def test_an_index_made_before_hidden_lines_embeds_again_only_the_notes_that_have_them(fresh, monkeypatch):
    """Chunker 9 never quotes an HTML comment or a front matter's "tags:": upgrading from 8 re-embeds only
    the notes with one, and the comment is no longer quoted."""
    engine, _ = _upgraded(fresh(), monkeypatch, 8, "deploy.md", COMMENTED_NOTE, "registry")
    answer = engine.ask("How long does the registry keep images?")
    assert answer.answered and answer.excerpts[0].text == "Images are kept in the registry for 90 days."
    assert all("TODO" not in e.text and "tags:" not in e.text for e in answer.excerpts)


PICTURED_NOTE = """# 1. Choir

![logo](img/logo.png) The board meets on the first Friday of each month to plan the concert season.
"""


def test_an_index_made_before_whole_headings_embeds_again_only_the_notes_they_change(fresh, monkeypatch):
    """Chunker 10 reads a heading as one sentence ("1. Choir" was "1." and "Choir") and quotes no image at
    a sentence's edge: upgrading from 9 re-embeds only the notes with either, and the image is no longer
    quoted."""
    engine, _ = _upgraded(fresh(), monkeypatch, 9, "choir.md", PICTURED_NOTE, "concert")
    answer = engine.ask("When does the board meet?")
    assert answer.answered and answer.excerpts[0].text == (
        "The board meets on the first Friday of each month to plan the concert season.")


def test_a_document_a_newer_reader_titles_otherwise_is_embedded_again(fresh, monkeypatch):
    """The title is embedded with every chunk: a page whose text is unchanged but that this version titles
    otherwise (its <title> added to its <h1>: ``formats.named``) is embedded again, and nothing else."""
    from embeddings.formats import web

    settings = fresh()
    page = ("<html><head><title>Le Petit Bistro - Menu</title></head><body><h1>Our menu</h1>"
            "<p>We are closed on Mondays.</p></body></html>")
    (settings.docs_dir / "bistro.html").write_text(page)
    engine, counter = _counting_engine(settings)
    with monkeypatch.context() as m:
        m.setattr(web, "named", lambda title, name: title or name)  # an older reader: the <h1> alone
        first = engine.reindex()
    assert {s.doc_id: s.title for s in engine.sources()}["bistro.html"] == "Our menu"
    counter.texts.clear()
    report = engine.reindex()
    assert report.changed == ["bistro.html"] and report.unchanged == first.documents_total - 1
    assert counter.texts and all("Mondays" in t and "Le Petit Bistro" in t for t in counter.texts)
    assert {s.doc_id: s.title for s in engine.sources()}["bistro.html"] == "Our menu | Le Petit Bistro"


def test_an_empty_source_says_so(fresh, tmp_path):
    """A folder without a document gave "0 documents ... published a new index" and nothing else: an
    index that looks like a working one."""
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.xlsx").write_bytes(b"not a kind docbot reads")
    report = Engine(fresh(docs=empty)).reindex()
    assert report.documents_total == 0
    assert any(n.startswith(f"no documents in {empty}") and "the index is empty" in n and ".md" in n
               for n in report.notes), report.notes


def test_loading_the_model_is_a_stage_of_its_own(fresh):
    """The ~15 s of loading (and on a first index, exporting) the model left the progress on "reading 8/8"."""
    stages: list[str] = []
    Engine(fresh()).reindex(progress=lambda p: stages.append(p.stage) if stages[-1:] != [p.stage] else None)
    assert stages == ["scan", "prepare", "embed", "write", "done"]


def test_broken_document_is_skipped_and_keeps_its_last_good_version(fresh):
    settings = fresh()
    engine = Engine(settings)
    engine.reindex()
    (settings.docs_dir / "volcano.md").write_bytes(b"\xff\xfe\x00\x00 binary junk \x00")
    (settings.docs_dir / "broken-new.txt").write_bytes(b"caf\xe9")
    report = engine.reindex()
    assert any("volcano.md" in s for s in report.skipped)
    assert any("broken-new.txt" in s and "UTF-8" in s for s in report.skipped)
    assert "volcano.md" not in report.removed
    assert engine.search("Etna eruption Catania airport", k=1)[0].doc_id == "volcano.md"


def test_missing_index_says_how_to_build_one(tmp_path: Path):
    from embeddings import EngineSettings

    with pytest.raises(IndexNotFound, match="docbot index"):
        Engine(EngineSettings(data_dir=tmp_path / "none", _env_file=None)).ask("anything")


def test_generation_is_published_atomically_and_old_ones_are_swept(fresh):
    settings = fresh()
    engine = Engine(settings)
    for i in range(3):
        (settings.docs_dir / f"n{i}.txt").write_text(f"Note number {i} about gardening tomatoes.")
        engine.reindex()
    gens = sorted(p.name for p in (settings.data_dir / "generations").iterdir())
    current = (settings.data_dir / "CURRENT").read_text().strip()
    assert current == gens[-1] and len(gens) == 2  # the published one and the one before
    manifest = json.loads((settings.data_dir / "generations" / current / "manifest.json").read_text())
    assert manifest["model"] == settings.model and manifest["documents"] == 7
    loaded = Generation.open_current(settings.data_dir)
    assert loaded.size == manifest["chunks"] and loaded.vectors.shape == (loaded.size, 384)


def test_running_engine_switches_to_an_index_published_elsewhere(fresh):
    settings = fresh()
    serving = Engine(settings)
    serving.reindex()
    assert serving.search("Darjeeling first flush", k=1)[0].doc_id != "tea.md"
    # Another process (here: another Engine on the same data dir, as `docbot index` would be) publishes.
    (settings.docs_dir / "tea.md").write_text("# Tea harvest\nDarjeeling growers picked the first flush in March.\n")
    Engine(settings).reindex()
    assert serving.search("Darjeeling first flush", k=1)[0].doc_id == "tea.md"


def test_one_reindex_at_a_time_across_engines(fresh):
    from embeddings import ReindexInProgress
    from embeddings.store import reindex_lock

    settings = fresh()
    with reindex_lock(settings.data_dir):  # held as by a `docbot index` in another process
        with pytest.raises(ReindexInProgress, match="already running"):
            Engine(settings).reindex()
    assert Engine(settings).reindex().published  # free again afterwards


def test_empty_folder_gives_an_empty_index_that_answers_nothing(fresh, tmp_path):
    empty = tmp_path / "empty-docs"
    empty.mkdir()
    engine = Engine(fresh(docs=empty))
    report = engine.reindex()
    assert report.published and report.documents_total == 0 and report.chunks_total == 0
    ans = engine.ask("what did Peskov say about a meeting?")
    assert not ans.answered and ans.sources == []
    assert engine.search("anything") == [] and engine.sources() == []
    assert engine.stats().documents == 0


def test_an_index_made_before_name_dates_dates_notes_without_embedding_them_again(fresh, monkeypatch):
    """A note dated only in its file name was undated: an update dates it. The date is no part of what is
    embedded, so a note titled by its own heading keeps its vectors; the one titled by its name is titled
    "Meeting notes" now (the title is embedded with every chunk) and is embedded again; nothing else is."""
    from embeddings import documents

    settings = fresh()
    (settings.docs_dir / "meeting-notes-2025-09-18.txt").write_text("The next call is on 16 October at 18:00 UTC.\n")
    (settings.docs_dir / "2025-09-20-standup.md").write_text("# Standup\n\nThe 2.4.1 release is blocked on the BOM fix.\n")
    engine, counter = _counting_engine(settings)
    with monkeypatch.context() as m:  # the reader before: no date from the name, its digits as words
        m.setattr(documents, "date_from_name", lambda name: None)
        m.setattr(documents, "_title_from_name", lambda name, dated=None: Path(name).stem.replace("-", " "))
        first = engine.reindex()
    before = {s.doc_id: (s.title, s.date) for s in engine.sources()}
    assert before["meeting-notes-2025-09-18.txt"] == ("meeting notes 2025 09 18", None)
    assert before["2025-09-20-standup.md"] == ("Standup", None)
    counter.texts.clear()
    report = engine.reindex()
    # grain.txt, titled "grain" by its name, is "Grain" now: embedded again too.
    assert sorted(report.changed) == ["2025-09-20-standup.md", "grain.txt", "meeting-notes-2025-09-18.txt"]
    assert report.unchanged == first.documents_total - 3
    assert counter.texts and not any("release is blocked" in t for t in counter.texts)  # the standup kept its vectors
    assert any("dates 1 unchanged document(s) differently" in n for n in report.notes)
    after = {s.doc_id: (s.title, s.date) for s in engine.sources()}
    assert after["meeting-notes-2025-09-18.txt"] == ("Meeting notes", date(2025, 9, 18))
    assert after["2025-09-20-standup.md"] == ("Standup", date(2025, 9, 20))
    answer = engine.ask("what is the release blocked on", since=date(2025, 9, 19))
    assert answer.answered and answer.excerpts[0].doc_id == "2025-09-20-standup.md"


def test_an_index_of_chunker_12_embeds_again_only_the_steps_and_dates_the_notice_by_its_title(fresh, monkeypatch):
    """Chunker 14 reads a how-to's numbered steps as list items (12 and 13: headings) and dates a notice by the date
    in its title (12: undated): an update from a chunker 12 index embeds the how-to again, dates the notice
    without embedding it (the date is no part of what is embedded), and leaves everything else alone."""
    from embeddings import documents

    settings = fresh()
    (settings.docs_dir / "upgrade.txt").write_text(
        "Upgrading Tidepool\n\n1. Download version 2.4.1\nThe archive is on the releases page.\n\n"
        "2. Stop the service\nNothing may write to the database meanwhile.\n")
    (settings.docs_dir / "pool.txt").write_text("Pool closed - 24 December 2025\n\nThe pool stays shut all day.\n")
    engine, counter = _counting_engine(settings)
    with monkeypatch.context() as m:
        m.setattr(store, "CHUNKER_VERSION", 12)
        m.setattr(documents, "date_from_title", lambda title: None)
        first = engine.reindex()
    assert {s.doc_id: s.date for s in engine.sources()}["pool.txt"] is None
    counter.texts.clear()
    report = engine.reindex()
    assert sorted(report.changed) == ["pool.txt", "upgrade.txt"] and report.unchanged == first.documents_total - 2
    assert counter.texts and all("Tidepool" in t for t in counter.texts)  # only the how-to was embedded
    assert any("dates 1 unchanged document(s) differently" in n for n in report.notes)
    assert {s.doc_id: s.date for s in engine.sources()}["pool.txt"] == date(2025, 12, 24)
    assert engine.generation.manifest.chunker == store.CHUNKER_VERSION
