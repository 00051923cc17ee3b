"""The store interface's contract, the same tests over both backends (``DOCBOT_STORE=local|milvus``).

The Milvus backend runs Milvus Lite in this process on a file of the test's own. Each test drives the real
engine (embedding model, evidence, answers), so what is checked is what a user sees: the documents answered
from, the filters, verbatim quotes, an interrupted re-index, a model mismatch.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from embeddings import Engine, InvalidRequest, ModelMismatch
from embeddings.engine import Engine as EngineClass
from embeddings.indexer import Indexer
from tests.milvus_fixtures import require_milvus
from tests.test_incremental import CountingEncoder

VOLCANO_QUESTION = "When did Mount Etna erupt?"


@pytest.fixture(params=["local", "milvus"])
def backend_settings(request, fresh, tmp_path):
    """Settings for an empty index of the test's own on the backend under test (Milvus: skipped, saying why,
    without the ``milvus`` extra; CI requires it)."""
    if request.param == "milvus":
        require_milvus()

    def _make(**overrides):
        if request.param == "milvus":
            overrides = {"store": "milvus", "milvus_uri": str(tmp_path / "milvus" / "index.db"), **overrides}
        return fresh(**overrides)

    _make.kind = request.param  # type: ignore[attr-defined]
    return _make


def counting_engine(settings) -> tuple[EngineClass, CountingEncoder]:
    from embeddings.encoder import TorchEncoder

    counter = CountingEncoder(TorchEncoder(settings.model, precision=settings.embed_precision))
    engine = Engine(settings)
    engine._indexer = Indexer(settings, encoder=counter, backend=engine.backend)  # type: ignore[arg-type]
    return engine, counter


def cited(engine: EngineClass, question: str) -> set[str]:
    return {s.doc_id for s in engine.ask(question).sources}


def test_add_change_remove(backend_settings):
    settings = backend_settings()
    engine, counter = counting_engine(settings)
    first = engine.index()
    assert first.published and sorted(first.added) == sorted(d.doc_id for d in engine.sources())
    assert len(counter.texts) == first.chunks_embedded > 0
    assert "volcano.md" in cited(engine, VOLCANO_QUESTION)
    on_milvus = backend_settings.kind == "milvus"
    assert engine.stats().data_dir.startswith("milvus:") == on_milvus
    # Milvus holds the whole index: nothing of it in the data directory (only the model's ONNX export).
    assert (settings.data_dir / "CURRENT").exists() != on_milvus
    assert (settings.data_dir / "generations").exists() != on_milvus

    # A change: only that document is embedded again; the others' chunks are copied with their vectors.
    counter.texts.clear()
    (settings.docs_dir / "volcano.md").write_text(
        "# Etna quiet\n\nThe observatory said Mount Etna stayed quiet all winter and did not erupt.\n")
    changed = engine.index()
    assert changed.changed == ["volcano.md"] and changed.unchanged == len(first.added) - 1
    assert len(counter.texts) == changed.chunks_embedded == 1
    answer = engine.ask(VOLCANO_QUESTION)
    assert any("stayed quiet all winter" in e.text for e in answer.excerpts)
    assert not any("Catania airport" in e.text for e in answer.excerpts)
    peskov = engine.ask("what did Peskov say about a meeting?")  # a copied document answers as before
    assert any("Peskov" in e.text for e in peskov.excerpts)

    # A removal: the document leaves the index and its answers.
    removed = engine.remove(["grain.txt"])
    assert removed.removed == ["grain.txt"] and len(counter.texts) == 1
    assert "grain.txt" not in {d.doc_id for d in engine.sources()}
    assert "grain.txt" not in cited(engine, "How much corn did the Razoni carry?")


def test_filters_by_document_and_date(backend_settings):
    settings = backend_settings()
    engine = Engine(settings)
    engine.index()
    dated = {d.doc_id: d.date for d in engine.sources()}
    assert any(dated.values()) and not all(dated.values())  # the seeds are dated, the extra notes are not

    only = engine.search("volcano erupted", k=5, doc_ids=["grain.txt"])
    assert only and {h.doc_id for h in only} == {"grain.txt"}
    some_day = next(d for d in dated.values() if d)
    within = engine.search("Putin meeting negotiations", k=10, since=some_day, until=some_day)
    assert within and all(h.date == some_day for h in within)
    with pytest.raises(InvalidRequest, match="no document is dated on or after 2100-01-01"):
        engine.search("Putin meeting negotiations", k=10, since=date(2100, 1, 1))  # not a silent []
    dated_only = engine.ask(VOLCANO_QUESTION, since=date(2000, 1, 1))
    assert "volcano.md" not in {s.doc_id for s in dated_only.sources}  # undated: outside every date range
    assert all(s.date is not None for s in dated_only.sources)
    gen = engine.generation
    assert gen.newest_date == max(d for d in dated.values() if d)
    assert [gen.doc_id(p) for p in gen.dated_within(some_day, some_day)] == \
        [d for d in gen.doc_ids if dated[d] == some_day]
    assert len(gen.dated_within(None, None)) == sum(1 for d in dated.values() if d), "undated ones never"
    every = np.arange(gen.documents)[::-1]  # any order: the chunks follow it, each document's in order
    assert gen.chunks_of(every).tolist() == [c for p in every for c in gen.chunk_ids(p).tolist()]


def test_quotes_are_verbatim_slices_of_the_stored_text(backend_settings):
    engine = Engine(backend_settings())
    engine.index()
    texts = {d.doc_id: engine.source(d.doc_id).text for d in engine.sources()}
    for question in ("what did Peskov say about a meeting?", VOLCANO_QUESTION, "Where is the picnic?"):
        for hit in engine.search(question, k=5):
            assert hit.text == texts[hit.doc_id][hit.start:hit.end]
        answer = engine.ask(question)
        assert answer.excerpts
        for excerpt in answer.excerpts:
            assert excerpt.text == texts[excerpt.doc_id][excerpt.start:excerpt.end]
            assert excerpt.number in {s.number for s in answer.sources}
            # its doc#N (read from memory) names a chunk of that document holding the quote
            chunk = next(c for c in engine.source(excerpt.doc_id).chunks if c.chunk == excerpt.chunk)
            assert chunk.start <= excerpt.start < chunk.end


def _break_publishing(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the next publication fail after some rows or files are written, leaving them behind as a killed
    process would (nothing cleans up)."""

    def crash(*args, **kwargs):
        raise RuntimeError("killed while writing")

    if kind == "milvus":
        from embeddings.milvus_store import MilvusStore

        monkeypatch.setattr(MilvusStore, "_write_docs", crash)  # the chunk rows are written by then
        monkeypatch.setattr(MilvusStore, "_drop", lambda self, name: None)
    else:
        from embeddings import store

        monkeypatch.setattr(store.LexicalIndex, "build", crash)  # SQLite and vectors are written by then
        monkeypatch.setattr(store.shutil, "rmtree", lambda *a, **k: None)


def test_a_reindex_that_dies_midway_leaves_the_last_published_answers(backend_settings, monkeypatch):
    settings = backend_settings()
    engine = Engine(settings)
    engine.index()
    before = engine.ask(VOLCANO_QUESTION)
    assert any("Catania" in e.text for e in before.excerpts)

    (settings.docs_dir / "volcano.md").write_text("# Etna\n\nEtna was quiet; nothing erupted this year.\n")
    (settings.docs_dir / "tea.md").write_text("# Tea\n\nDarjeeling growers picked the first flush in March.\n")
    with monkeypatch.context() as patch:
        _break_publishing(backend_settings.kind, patch)
        with pytest.raises(RuntimeError, match="killed"):
            engine.index()

    for reader in (engine, Engine(settings)):  # this process, and another one starting now
        after = reader.ask(VOLCANO_QUESTION)
        assert [e.text for e in after.excerpts] == [e.text for e in before.excerpts]
        assert "tea.md" not in {d.doc_id for d in reader.sources()}
    if backend_settings.kind == "milvus":
        assert len(engine.backend.generations()) == 2  # the published one and the unfinished one

    report = engine.index()  # the next run sweeps what was left and publishes the change
    assert sorted(report.added + report.changed) == ["tea.md", "volcano.md"]
    assert any("nothing erupted" in e.text for e in engine.ask(VOLCANO_QUESTION).excerpts)
    if backend_settings.kind == "milvus":
        assert engine.backend.generations()[-1] == engine.backend.pointer()
        assert len(engine.backend.generations()) == 2  # the unfinished one is gone; the previous one kept


def test_model_mismatch_refuses_to_answer_or_extend(backend_settings):
    settings = backend_settings()
    Engine(settings).index()
    other = settings.model_copy(update={"model": "sentence-transformers/paraphrase-MiniLM-L3-v2"})
    with pytest.raises(ModelMismatch, match="all-MiniLM-L6-v2"):
        Engine(other).load()
    with pytest.raises(ModelMismatch, match="all-MiniLM-L6-v2") as refused:
        Engine(other).index()
    if backend_settings.kind == "local":
        assert "another --data-dir" in str(refused.value)  # says how to keep both indexes


def test_questions_before_any_index_say_so_and_create_nothing(backend_settings, tmp_path):
    """A mistyped ``--data-dir`` (or a first question before `docbot index`) leaves no database behind:
    Milvus Lite creates its file when it is opened, so a question must not open one that is not there."""
    from embeddings import IndexNotFound

    settings = backend_settings(milvus_uri=None)  # Milvus Lite's default file: DATA_DIR/milvus.db
    before = sorted(tmp_path.rglob("*"))
    engine = Engine(settings)
    for ask in (lambda: engine.ask(VOLCANO_QUESTION), lambda: engine.search(VOLCANO_QUESTION), engine.sources):
        with pytest.raises(IndexNotFound, match="run `docbot index`"):
            ask()
    assert engine.verify().serving is None
    assert sorted(tmp_path.rglob("*")) == before


def test_another_engine_sees_a_new_publication_on_its_next_question(backend_settings):
    settings = backend_settings()
    serving = Engine(settings)
    serving.index()
    assert "tea.md" not in cited(serving, "When was the Darjeeling first flush picked?")
    (settings.docs_dir / "tea.md").write_text("# Tea harvest\n\nDarjeeling growers picked the first flush in March.\n")
    Engine(settings).index()  # as another process would
    assert "tea.md" in cited(serving, "When was the Darjeeling first flush picked?")


def test_one_reindex_at_a_time(backend_settings):
    from embeddings import ReindexInProgress

    settings = backend_settings()
    holder = Engine(settings)
    with holder.backend.lock(), pytest.raises(ReindexInProgress, match="already running"):
        Engine(settings).index()  # held as by a re-index in another process
    assert Engine(settings).index().published  # free again afterwards


def test_the_milvus_server_lock_is_a_postgresql_advisory_lock(postgres_url):
    """With a Milvus server the lock must hold across machines: a session advisory lock in PostgreSQL, which
    a second holder is refused and which is free again once released (or its process dies)."""
    import psycopg

    from embeddings import ReindexInProgress
    from embeddings.milvus_store import _advisory_lock

    with _advisory_lock(postgres_url, "docbot-reindex:test"):
        with pytest.raises(ReindexInProgress), _advisory_lock(postgres_url, "docbot-reindex:test"):
            pass
        with _advisory_lock(postgres_url, "docbot-reindex:another-index"):  # another alias: its own lock
            pass
    with psycopg.connect(postgres_url, autocommit=True) as con:  # released: anyone may take it now
        assert con.execute("SELECT pg_try_advisory_lock(hashtext('docbot-reindex:test'))").fetchone()[0]


def test_docbot_index_and_the_bot_take_the_same_lock_on_a_milvus_server(postgres_url, tmp_path, monkeypatch):
    """`docbot index` reads the engine's settings and a bot its own: both name DOCBOT_DATABASE_URL, so a
    re-index from the command line on one machine and a /reindex in a bot on another exclude each other."""
    require_milvus()
    from bot.settings import BotSettings
    from embeddings import EngineSettings, ReindexInProgress
    from embeddings.store_api import open_store

    for name, value in {"DOCBOT_STORE": "milvus", "DOCBOT_MILVUS_URI": "http://127.0.0.1:1",  # never reached
                        "DOCBOT_DATABASE_URL": postgres_url}.items():
        monkeypatch.setenv(name, value)
    cli_store = open_store(EngineSettings(data_dir=tmp_path / "cli", _env_file=None))
    bot_store = open_store(BotSettings(data_dir=tmp_path / "bot", _env_file=None))
    with cli_store.lock(), pytest.raises(ReindexInProgress):
        with bot_store.lock():
            pass
    with bot_store.lock():  # released by the command line: the bot may re-index now
        pass


def test_a_released_milvus_generation_is_loaded_again(fresh, tmp_path):
    """After Milvus restarts (or a new process opens a Milvus Lite file) collections are released; the
    published generation is loaded again on the next question instead of failing."""
    require_milvus()
    settings = fresh(store="milvus", milvus_uri=str(tmp_path / "milvus" / "index.db"))
    engine = Engine(settings)
    engine.index()
    name = engine.backend.pointer()
    for collection in (f"{name}_docs", f"{name}_chunks"):
        engine.backend.client.release_collection(collection)
    assert "volcano.md" in cited(Engine(settings), VOLCANO_QUESTION)


def test_an_unreachable_milvus_server_is_one_clear_error(fresh):
    require_milvus()
    from embeddings import StoreUnavailable

    settings = fresh(store="milvus", milvus_uri="http://127.0.0.1:9")  # nothing listens on the discard port
    with pytest.raises(StoreUnavailable, match="cannot reach Milvus at http://127.0.0.1:9"):
        Engine(settings).ask("anything")


def test_a_milvus_database_that_does_not_exist_is_one_line_naming_the_setting(milvus_server, tmp_path):
    """It was ~20 lines of pymilvus's own error log and "cannot reach Milvus at ...", though it was reached."""
    from tests.cli_run import one_line, run

    out = run("stats", cwd=tmp_path, env={"DOCBOT_STORE": "milvus", "DOCBOT_MILVUS_URI": milvus_server,
                                          "DOCBOT_MILVUS_DB": "nosuchdb"})
    assert out.returncode == 1 and one_line(out.stderr) == (
        f"docbot: Milvus at {milvus_server} has no database 'nosuchdb' (DOCBOT_MILVUS_DB): create it there, or "
        "leave DOCBOT_MILVUS_DB empty for the server's default database")


def test_verifying_a_milvus_index_of_one_document_says_one_document(fresh, tmp_path):
    require_milvus()
    docs = tmp_path / "one"
    docs.mkdir()
    (docs / "ferry.md").write_text("# Ferry\n\nThe ferry to Stromboli leaves at dawn.\n")
    engine = Engine(fresh(docs, store="milvus", milvus_uri=str(tmp_path / "milvus" / "index.db")))
    engine.index()
    (published,) = [g for g in engine.verify().generations if g.published]
    assert (published.checked or "").startswith("1 document and 1 passage in Milvus"), published.checked


def _two_milvus_generations(fresh, tmp_path):
    """Settings and an engine of a Milvus Lite index with two generations: the documents, then tea.md added."""
    require_milvus()
    settings = fresh(store="milvus", milvus_uri=str(tmp_path / "milvus" / "index.db"))
    engine = Engine(settings)
    engine.index()
    (settings.docs_dir / "tea.md").write_text("# Tea harvest\n\nDarjeeling growers picked the first flush in March.\n")
    engine.index()
    return settings, engine


def test_a_damaged_milvus_generation_falls_back_to_the_one_before_and_is_repaired(fresh, tmp_path):
    """A published generation whose collection lost rows (or was dropped) is named and skipped for the one
    kept before it, which answers; the next re-index publishes a whole new one."""
    settings, engine = _two_milvus_generations(fresh, tmp_path)
    backend = engine.backend
    published = backend.pointer()
    backend.client.delete(f"{published}_chunks", filter="id >= 0 and id < 3")  # damage: rows gone

    reader = Engine(settings)
    assert "volcano.md" in cited(reader, VOLCANO_QUESTION)  # from the generation before
    assert reader.generation.name != published and "tea.md" not in {d.doc_id for d in reader.sources()}
    checks = {g.name: g for g in engine.verify().generations}
    assert "damaged" in (checks[published].problem or "") and checks[reader.generation.name].problem is None
    report = reader.index()
    assert report.published and backend.pointer() != published
    assert "tea.md" in cited(Engine(settings), "When was the Darjeeling first flush picked?")


def test_a_wholly_damaged_milvus_index_is_rebuilt_from_its_recorded_sources(fresh, tmp_path):
    """Every Milvus generation damaged (rows lost): as locally, `sources` lists what the damaged index still
    records, and `index` rebuilds it from its recorded sources, not from DOCBOT_DOCS_DIR. It refused instead,
    asking for the folders ("its record of sources cannot be read"), and `sources` named nothing."""
    from embeddings.errors import IndexDamaged

    settings, engine = _two_milvus_generations(fresh, tmp_path)
    backend = engine.backend
    generations = backend.generations()
    assert len(generations) == 2
    for name in generations:
        backend.client.delete(f"{name}_chunks", filter="id >= 0 and id < 3")  # damage: rows gone
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "seed.md").write_text("# Seed\n\nA lone seed document, not one of the index's.\n")
    elsewhere = settings.model_copy(update={"docs_dir": seeds})
    source = str(settings.docs_dir.resolve())

    with pytest.raises(IndexDamaged, match=rf"rebuild it from its recorded sources \({source}\)$"):
        Engine(elsewhere).sources()
    listed = Engine(elsewhere).collection(recorded_if_damaged=True)
    assert listed.damaged and [s.path for s in listed.sources] == [source]
    assert "tea.md" in {d.doc_id for d in listed.documents} and listed.sources[0].documents == len(listed.documents)

    report = Engine(elsewhere).reindex()
    assert report.published
    rebuilt = Engine(elsewhere)
    names = {d.doc_id for d in rebuilt.sources()}
    assert "tea.md" in names and "seed.md" not in names
    assert set(backend.generations()).isdisjoint(generations)  # the damaged ones swept once rebuilt
