"""The two index backends on the same documents: answers (hit@5 on the news2022 dev set) and publish cost.

    python -m benchmarks.store_compare --data-dir DIR [--work DIR] [--questions FILE.jsonl] [--out FILE.json]
    python -m benchmarks.store_compare --data-dir DIR --copies 10 --publish-only   # publish cost at ~1M passages

``DIR`` is a local index built by docbot (read only; the README's figures: the full news2022 index, 4,816
articles, 98,459 passages). Its documents, chunks, vectors and sentences are published as they are into a new
Milvus Lite file under ``--work`` (the same data both backends answer from, nothing embedded again), then
each backend answers the dev questions:

* ``hit@1`` / ``hit@5``: a gold article among the first 1 / 5 documents ``search`` ranks (as ``benchmarks.bench``);
* ``same_excerpts``: the share of questions whose ``ask`` quotes exactly the same excerpts on both backends;
* ``publish``: seconds to write the whole index as a new generation and publish it, for each backend (local:
  a generation folder and ``CURRENT``; Milvus: two new collections and ``alter_alias``), to switch the alias
  alone, and to publish again with every document copied from the previous generation (what a re-index in
  which one document changed costs on Milvus: the unchanged ones' rows are read back and written again);
* ``ask_p50_ms``: in-process latency of ``ask`` on each backend;
* ``null_profile``: seconds to measure the abstention's null profile on Milvus Lite (139 questions), and
  milliseconds for a second engine to read it from the generation instead.

``--copies N`` publishes the index's documents N times over (copy k's ids end in ``~k``), to measure the
publish cost at N times the size without embedding anything; ``--publish-only`` measures the first publish and
the alias switch only, and asks nothing (the questions would find the copies too).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.bench import emit, load_questions, retrieval_hits
from embeddings import Engine, EngineSettings, store
from embeddings.milvus_store import MilvusStore

log = logging.getLogger("store_compare")
DEFAULT_QUESTIONS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "news2022-qa-dev.jsonl"


def _items(gen: store.Generation, copies: int = 1) -> list[store.DocumentChunks]:
    """Every document of ``gen`` with its chunks; ``copies`` times over (the copies share the arrays)."""
    items = [gen.document_chunks(pos, gen.document(pos)) for pos in range(gen.documents)]
    return items + [
        dataclasses.replace(item, document=dataclasses.replace(item.document, doc_id=f"{item.document.doc_id}~{k}"))
        for k in range(1, copies) for item in items
    ]


def _build(gen: store.Generation) -> store.BuildSettings:
    m = gen.manifest
    return store.BuildSettings(model=m.model, dimension=m.dimension, chunk_tokens=m.chunk_tokens,
                               chunk_overlap_tokens=m.chunk_overlap_tokens)


def _ask_p50(engine: Engine, questions: list[dict]) -> tuple[float, list[list[str]]]:
    times, quotes = [], []
    for q in questions:
        started = time.perf_counter()
        answer = engine.ask(q["question"])
        times.append((time.perf_counter() - started) * 1000)
        quotes.append([f"{e.doc_id}[{e.start}:{e.end}]" for e in answer.excerpts])
    return statistics.median(times), quotes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="a local index built by docbot (read only)")
    parser.add_argument("--work", type=Path, help="where the Milvus Lite file goes (default: a temporary folder)")
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    parser.add_argument("--copies", type=int, default=1, help="publish the documents this many times over")
    parser.add_argument("--publish-only", action="store_true", help="measure publishing only, ask nothing")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    work = args.work or Path(tempfile.mkdtemp(prefix="store-compare-"))
    work.mkdir(parents=True, exist_ok=True)
    questions = load_questions(args.questions)
    local = Engine(EngineSettings(data_dir=args.data_dir, _env_file=None)).load()
    gen = local.generation
    assert isinstance(gen, store.Generation)
    log.info("reading %d documents, %d passages from %s", gen.documents, gen.size, args.data_dir)
    items = _items(gen, args.copies)
    passages = sum(len(item.spans) for item in items)
    out: dict = {"documents": len(items), "passages": passages, "questions": len(questions)}

    # Local publish: a new generation folder and CURRENT (the data folder is a scratch copy, not DIR).
    local_publish = float("nan")
    if not args.publish_only:  # the local cost at 1M is in benchmarks.scale (its IVF build dominates)
        scratch = work / "local-publish"
        shutil.rmtree(scratch, ignore_errors=True)
        started = time.perf_counter()
        store.write_generation(scratch, items, build=_build(gen), exact_max=local.settings.exact_search_max_chunks,
                               sources=gen.source_table)
        local_publish = time.perf_counter() - started
        shutil.rmtree(scratch, ignore_errors=True)

    # Milvus Lite: the same items, published as a new generation (two collections, then the alias).
    milvus_data = work / "milvus-data"
    milvus_data.mkdir(exist_ok=True)
    if not (milvus_data / "onnx").exists() and (args.data_dir / "onnx").exists():
        (milvus_data / "onnx").symlink_to((args.data_dir / "onnx").resolve(), target_is_directory=True)
    settings = EngineSettings(data_dir=milvus_data, store="milvus", milvus_uri=str(work / "milvus.db"), _env_file=None)
    backend = MilvusStore(settings)
    started = time.perf_counter()
    first = backend.publish(items, build=_build(gen), exact_max=settings.exact_search_max_chunks, previous=None,
                            sources=gen.source_table)
    milvus_publish = time.perf_counter() - started
    del items
    log.info("Milvus Lite: published %s in %.1f s (local %.1f s)", first, milvus_publish, local_publish)

    if args.publish_only:  # at N times the size, reading every row back would take hours on Milvus Lite
        started = time.perf_counter()
        for _ in range(2):
            backend.client.alter_alias(backend._docs(first), backend.alias)
        out["publish"] = {
            "milvus_lite_s": round(milvus_publish, 1),
            "milvus_alias_switch_ms": round((time.perf_counter() - started) * 1000 / 2, 1),
        }
        emit(out, args.out)
        return 0

    # Publish again, every document copied from the generation before (vectors included, nothing embedded).
    previous = backend.open_published().generation
    started = time.perf_counter()
    copied = [previous.document_chunks(pos, previous.document(pos)) for pos in range(previous.documents)]
    read_s = time.perf_counter() - started
    second = backend.publish(copied, build=_build(gen), exact_max=settings.exact_search_max_chunks,
                             previous=previous, sources=previous.source_table)
    copy_publish = time.perf_counter() - started
    del copied
    started = time.perf_counter()
    backend.client.alter_alias(backend._docs(first), backend.alias)
    backend.client.alter_alias(backend._docs(second), backend.alias)
    switch_ms = (time.perf_counter() - started) * 1000 / 2
    backend.sweep_superseded(keep=None)
    out["publish"] = {
        "local_s": round(local_publish, 1), "milvus_lite_s": round(milvus_publish, 1),
        "milvus_lite_copy_previous_s": round(copy_publish, 1), "milvus_lite_copy_read_s": round(read_s, 1),
        "milvus_alias_switch_ms": round(switch_ms, 1),
    }
    log.info("publish: %s", out["publish"])

    milvus = Engine(settings).load()
    # The null profile: measured by the first process answering from the generation (here: nobody indexed
    # it through the engine), then kept in Milvus, where a second process reads it.
    started = time.perf_counter()
    milvus.null_profile(milvus.generation)
    measure_s = time.perf_counter() - started
    reader = Engine(settings).load()
    started = time.perf_counter()
    reader.null_profile(reader.generation)
    out["null_profile"] = {"milvus_lite_measure_s": round(measure_s, 1),
                           "milvus_lite_read_ms": round((time.perf_counter() - started) * 1000, 1)}
    log.info("null profile: %s", out["null_profile"])
    for name, engine in (("local", local), ("milvus_lite", milvus)):
        out[name] = retrieval_hits(engine, questions, "hybrid")
        log.info("%s: %s", name, out[name])
    (local_p50, local_quotes), (milvus_p50, milvus_quotes) = _ask_p50(local, questions), _ask_p50(milvus, questions)
    out["local"]["ask_p50_ms"], out["milvus_lite"]["ask_p50_ms"] = round(local_p50, 1), round(milvus_p50, 1)
    out["same_excerpts"] = round(sum(a == b for a, b in zip(local_quotes, milvus_quotes)) / len(questions), 3)
    emit(out, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
