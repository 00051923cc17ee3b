"""Indexing speed: docbot against the textbook pipeline in one run, threads under contention, and a
re-index beside a stream of questions.

    python -m benchmarks.index_speed [--corpus DIR] [--questions FILE.jsonl] [--limit-docs 300]
        [--hogs 3] [--beside-docs 150] [--out FILE] [--markdown]

Prints JSON (and with ``--markdown`` the README's table):

* ``docbot``: ``Engine.reindex`` of ``--limit-docs`` articles (the dev set's gold articles and
  random others) into a new data directory, once with the one-time ONNX export and word table
  and once with them already there (what every later index of that data directory costs);
* ``textbook``: ``benchmarks.textbook`` (LangChain splitter + HuggingFaceEmbeddings + FAISS, as a
  tutorial runs it: torch on every core) on the same articles, right after, and the speed-up;
  hit@1 / hit@5 of both on the dev questions whose articles are in the subset;
* ``threads``: chunks per second of the same 256 chunks embedded with 1 thread, with as many
  threads as the machine has cores (torch's default), and adaptive (``cpu.ThreadBudget``), on the
  machine as it is and beside ``--hogs`` more busy-looping processes: on an idle machine the fair
  share beside N of them is cores / (N + 1), so a slowdown far past (N + 1) / cores is
  oversubscription (threads waiting at every operation for the one the scheduler parked);
* ``beside_questions``: a re-index of ``--beside-docs`` articles while an asyncio loop asks 20
  questions a second (each in a worker thread, as the bot does) and a 50 ms heartbeat task
  measures how late it wakes (the gateway heartbeat's view): with every core for embedding, and
  with the default (adaptive, one core left while questions come).

* ``new_processes`` (``--new-processes ROUNDS``): each pipeline again in a process of its own, as a
  user runs it (``docbot index``; the tutorial as a script), imports and model load included.

Everything else runs in one process, on whatever machine runs it: compare the ratios of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from benchmarks.bench import corpus_missing, emit, load_questions, subset_corpus
from embeddings import Engine, EngineSettings
from embeddings.cpu import ThreadBudget, available_cores, runnable_others

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("index_speed")


def _hits(engine: Engine, questions: list[dict]) -> dict:
    at1 = at5 = 0
    for q in questions:
        docs: list[str] = []
        for h in engine.search(q["question"], k=20):
            if h.doc_id not in docs:
                docs.append(h.doc_id)
        gold = set(q["gold_docs"])
        at1 += bool(docs[:1] and docs[0] in gold)
        at5 += bool(gold & set(docs[:5]))
    n = max(1, len(questions))
    return {"hit@1": round(at1 / n, 3), "hit@5": round(at5 / n, 3)}


def index_docbot(corpus: Path, work: Path, questions: list[dict]) -> dict:
    """A first index (with the one-time export) and a second one into another data directory that
    already has the export and the word table."""
    first = work / "first"
    t = time.perf_counter()
    report = Engine(EngineSettings(data_dir=first, docs_dir=corpus, _env_file=None)).reindex()
    with_export = time.perf_counter() - t
    second = work / "second"
    second.mkdir()
    for shared in ("onnx", "wordfreq"):
        shutil.copytree(first / shared, second / shared)
    engine = Engine(EngineSettings(data_dir=second, docs_dir=corpus, _env_file=None))
    stages: dict[str, float] = {}
    last = [time.perf_counter(), ""]

    def progress(p) -> None:  # type: ignore[no-untyped-def]
        now = time.perf_counter()
        if last[1]:
            stages[last[1]] = stages.get(last[1], 0.0) + now - last[0]
        last[0], last[1] = now, p.stage

    t, cpu = time.perf_counter(), time.process_time()
    engine.reindex(progress=progress)
    seconds, cpu_seconds = time.perf_counter() - t, time.process_time() - cpu
    indexer = engine._indexer  # the engine's own, which embedded the chunks
    return {
        "embedded_by": indexer.encoder.runs_in if indexer else "nothing",
        "documents": report.documents_total, "chunks": report.chunks_total,
        "seconds_first_index_with_export": round(with_export, 1), "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu_seconds, 1), "chunks_per_s": round(report.chunks_total / seconds, 1),
        "stages_seconds": {k: round(v, 1) for k, v in stages.items()},
        **_hits(engine.load(), questions),
    }


# ---------------------------------------------------------------------- threads under contention
def new_processes(corpus: Path, work: Path, rounds: int) -> dict:
    """Each pipeline as a user runs it, in a process of its own, imports and model load included:
    ``docbot index --no-progress CORPUS`` into a data directory holding the one-time export (copied
    from the first index), and ``python -m benchmarks.textbook CORPUS``; ``rounds`` of each, in turn.
    The in-process figures above leave out what a new process pays before its first batch (both
    pipelines there run after the first index imported everything)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCBOT_")}
    env.update(HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT))
    times: dict[str, list[float]] = {"docbot": [], "textbook": []}
    for r in range(rounds):
        data = work / f"new-process-{r}"
        shutil.rmtree(data, ignore_errors=True)  # a --work-dir used before
        data.mkdir()
        for shared in ("onnx", "wordfreq"):
            shutil.copytree(work / "first" / shared, data / shared)
        commands = {
            "docbot": [sys.executable, "-m", "embeddings.cli", "--data-dir", str(data), "index", "--no-progress",
                       str(corpus)],
            "textbook": [sys.executable, "-m", "benchmarks.textbook", str(corpus)],
        }
        for name, command in commands.items():
            t = time.perf_counter()
            subprocess.run(command, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - t)
        shutil.rmtree(data)
    out = {name: round(statistics.median(ts), 1) for name, ts in times.items()}
    return {"rounds": rounds, "seconds_median": out, "seconds": {k: [round(t, 1) for t in v] for k, v in times.items()},
            "speedup": round(out["textbook"] / out["docbot"], 2)}


def _hogs(n: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait()


def threads_under_contention(corpus: Path, hogs: int) -> dict:
    from embeddings.chunking import embedded_text
    from embeddings.documents import iter_files, read_file
    from embeddings.encoder import TorchEncoder

    texts: list[str] = []
    for doc_id, path in iter_files([corpus])[:40]:
        doc = read_file(doc_id, path)
        texts.extend(embedded_text(doc.title, doc.text[i : i + 700])[0] for i in range(0, len(doc.text), 700))
    texts = texts[:256]
    spans = [[(0, min(60, len(t)))] for t in texts]
    enc = TorchEncoder(EngineSettings(_env_file=None).model)
    cores = available_cores()
    variants = {"1 thread": 1, f"{os.cpu_count()} threads (torch's default)": os.cpu_count() or 1, "adaptive": 0}
    enc.encode_with_sentences(texts[:32], spans[:32])  # warm-up
    out: dict = {"cores_available": cores, "chunks": len(texts), "hogs": hogs}
    for label, n_hogs in (("as the machine is", 0), (f"beside {hogs} more busy processes", hogs)):
        procs = _hogs(n_hogs)
        try:
            time.sleep(1.0 if n_hogs else 0)
            row = {}
            for name, threads in variants.items():
                budget = ThreadBudget(threads)
                t = time.perf_counter()
                enc.encode_with_sentences(texts, spans, budget=budget)
                row[name] = round(len(texts) / (time.perf_counter() - t), 1)
            out[label] = row
        finally:
            _stop(procs)
    alone, busy = out["as the machine is"], out[f"beside {hogs} more busy processes"]
    out["slowdown_x"] = {k: round(alone[k] / busy[k], 2) for k in variants}
    # On an otherwise idle machine, N busy processes beside one job leave it cores / (N + 1) of it.
    out["fair_slowdown_x_on_an_idle_machine"] = round(max(1.0, (hogs + 1) / cores), 2)
    return out


# ---------------------------------------------------------------------- a re-index beside questions
async def _beside(engine: Engine, docs: Path, questions: list[str], seconds_cap: float) -> dict:
    late: list[float] = []
    latencies: list[float] = []
    done = asyncio.Event()

    async def heartbeat() -> None:
        while not done.is_set():
            t = time.perf_counter()
            await asyncio.sleep(0.05)
            late.append((time.perf_counter() - t - 0.05) * 1000)

    async def ask(q: str) -> None:
        t = time.perf_counter()
        await asyncio.to_thread(engine.ask, q)
        latencies.append((time.perf_counter() - t) * 1000)

    async def asker() -> None:
        tasks = []
        i = 0
        while not done.is_set():
            tasks.append(asyncio.create_task(ask(questions[i % len(questions)] + f" ({i})")))
            i += 1
            await asyncio.sleep(0.05)  # 20 questions a second
        await asyncio.gather(*tasks)

    async def reindex() -> float:
        t = time.perf_counter()
        await asyncio.to_thread(engine.reindex, [docs])
        done.set()
        return time.perf_counter() - t

    beat, asking = asyncio.create_task(heartbeat()), asyncio.create_task(asker())
    seconds = await asyncio.wait_for(reindex(), seconds_cap)
    await asyncio.gather(beat, asking)
    return {
        "reindex_seconds": round(seconds, 1), "questions": len(latencies),
        "question_ms_p50": round(float(np.percentile(latencies, 50)), 1),
        "question_ms_p95": round(float(np.percentile(latencies, 95)), 1),
        "heartbeat_late_ms_p50": round(float(np.percentile(late, 50)), 1),
        "heartbeat_late_ms_p99": round(float(np.percentile(late, 99)), 1),
        "heartbeat_late_ms_max": round(max(late), 1),
    }


def beside_questions(corpus: Path, work: Path, n_docs: int, questions: list[str]) -> dict:
    """Each variant answers from an index of the first half and re-indexes all ``n_docs``."""
    from embeddings.documents import iter_files

    files = [p for _, p in iter_files([corpus])][:n_docs]
    out = {}
    for name, threads in ((f"every core ({available_cores()} threads)", available_cores()), ("adaptive (default)", 0)):
        base = work / f"beside-{threads}"
        docs = base / "docs"
        docs.mkdir(parents=True)
        for p in files[: n_docs // 2]:
            (docs / p.name).symlink_to(p.resolve())
        settings = EngineSettings(data_dir=base / "data", docs_dir=docs, embed_threads=threads, _env_file=None)
        engine = Engine(settings)
        engine.reindex()
        for p in files[n_docs // 2 :]:
            (docs / p.name).symlink_to(p.resolve())
        engine.load()
        out[name] = asyncio.run(_beside(engine, docs, questions, 3600))
    return out


# ---------------------------------------------------------------------- report
def markdown(result: dict) -> str:
    d, t = result["docbot"], result.get("textbook")
    rows = [
        "| figure | docbot | textbook pipeline | ratio |",
        "| --- | --- | --- | --- |",
    ]
    if t:
        rows.append(f"| index {d['documents']} articles (same run), seconds | {d['seconds']} "
                    f"({d['chunks']} chunks) | {t['seconds']} ({t['chunks']} chunks) | "
                    f"**{result['speedup_vs_textbook']}x** |")
        rows.append(f"| CPU seconds of the same (every thread of the process) | {d['cpu_seconds']} | "
                    f"{t['cpu_seconds']} | {result['cpu_ratio_vs_textbook']}x |")
        rows.append(f"| hit@1 / hit@5 of the dev questions on these articles | {d['hit@1']} / {d['hit@5']} | "
                    f"{t['hit@1']} / {t['hit@5']} | |")
        rows.append(f"| other runnable threads on the machine meanwhile (mean) | "
                    f"{d.get('other_runnable_threads_mean')} | {t.get('other_runnable_threads_mean')} | |")
    n = result.get("new_processes")
    if n:
        rows.append(f"| the same, each in a new process as a user runs it (`docbot index`, the tutorial script; "
                    f"imports and model load included), median of {n['rounds']}, seconds | "
                    f"{n['seconds_median']['docbot']} | {n['seconds_median']['textbook']} | **{n['speedup']}x** |")
    rows.append(f"| first index of a data directory (ONNX export, int8 model, OpenVINO conversion, word table) | "
                f"{d['seconds_first_index_with_export']} s | | |")
    th = result.get("threads")
    if th:
        for label in ("as the machine is", f"beside {th['hogs']} more busy processes"):
            rows.append(f"| embedding, chunks/s {label}: " + ", ".join(th[label]) + " | "
                        + " / ".join(str(v) for v in th[label].values()) + " | | |")
        rows.append(f"| slowdown beside {th['hogs']} more busy processes (fair share on an idle machine: "
                    f"{th['fair_slowdown_x_on_an_idle_machine']}x) | "
                    + " / ".join(f"{v}x" for v in th["slowdown_x"].values()) + " | | |")
    for name, b in (result.get("beside_questions") or {}).items():
        rows.append(f"| re-index beside 20 questions/s, {name}: question p50 / p95, heartbeat late p99 / max | "
                    f"{b['question_ms_p50']} / {b['question_ms_p95']} ms, {b['heartbeat_late_ms_p99']} / "
                    f"{b['heartbeat_late_ms_max']} ms (re-index {b['reindex_seconds']} s) | | |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    shared = Path(os.environ.get("DOCBOT_SHARED_DIR", ROOT.parent / "shared"))
    ap.add_argument("--corpus", type=Path, default=shared / "corpora" / "news2022")
    ap.add_argument("--questions", type=Path, default=shared / "corpora" / "news2022-qa-dev.jsonl")
    ap.add_argument("--limit-docs", type=int, default=300)
    ap.add_argument("--hogs", type=int, default=3, help="busy processes beside the threads measurement (0: skip)")
    ap.add_argument("--beside-docs", type=int, default=150, help="articles re-indexed beside questions (0: skip)")
    ap.add_argument("--no-textbook", action="store_true")
    ap.add_argument("--work-dir", type=Path)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--markdown", action="store_true", help="also print the README's table")
    ap.add_argument("--new-processes", type=int, default=0, metavar="ROUNDS",
                    help="also time each pipeline in a process of its own, imports included, ROUNDS times")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if corpus_missing(args.corpus, args.questions):
        return 0
    questions = load_questions(args.questions)
    corpus = subset_corpus(args.corpus, questions, args.limit_docs)
    inside = {p.name for p in corpus.iterdir()}
    questions = [q for q in questions if set(q["gold_docs"]) <= inside]
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="index-speed-"))
    result: dict = {"cores_available": available_cores(), "cpu_count": os.cpu_count(),
                    "questions_in_subset": len(questions)}
    load: list[int] = []
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.wait(0.5):
            load.append(runnable_others())

    threading.Thread(target=sample, daemon=True).start()
    def load_since(start: int) -> float:
        """Other runnable threads on average since sample ``start``: the two pipelines' ratio depends
        on how busy the machine was while each ran (torch on every core suffers most)."""
        return round(statistics.fmean(load[start:]), 2) if load[start:] else 0.0

    start = len(load)
    result["docbot"] = index_docbot(corpus, work, questions)
    result["docbot"]["other_runnable_threads_mean"] = load_since(start)
    if not args.no_textbook:
        from benchmarks.textbook import run_textbook

        start = len(load)
        result["textbook"] = run_textbook(corpus, questions)
        result["textbook"]["other_runnable_threads_mean"] = load_since(start)
        result["speedup_vs_textbook"] = round(result["textbook"]["seconds"] / result["docbot"]["seconds"], 2)
        # CPU time is less sensitive than wall time to how busy the machine was during each pipeline.
        result["cpu_ratio_vs_textbook"] = round(
            result["textbook"]["cpu_seconds"] / max(result["docbot"]["cpu_seconds"], 1e-9), 2)
    if args.new_processes and not args.no_textbook:
        start = len(load)
        result["new_processes"] = new_processes(corpus, work, args.new_processes)
        result["new_processes"]["other_runnable_threads_mean"] = load_since(start)
    if args.hogs:
        result["threads"] = threads_under_contention(corpus, args.hogs)
    if args.beside_docs:
        result["beside_questions"] = beside_questions(
            corpus, work, args.beside_docs, [q["question"] for q in questions] or ["what happened?"])
    sampling.set()
    result["other_runnable_threads_mean"] = round(statistics.fmean(load), 2) if load else 0.0
    emit(result, args.out, markdown(result) if args.markdown else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
