"""Benchmark: index a corpus, ask a question set, print figures as JSON.

    python -m benchmarks.bench --corpus ../shared/corpora/news2022 \
        --questions ../shared/corpora/news2022-qa-dev.jsonl [--baseline] [--out results.json]

Prints documents, chunks, index wall time and chunks/s, peak memory, an unchanged re-index, query
latency p50/p95 of ``ask`` in-process, a cold ``docbot ask`` from a new process, hit@1/@5 for
hybrid, dense and BM25 retrieval, how often a cited excerpt overlaps the evidence passage, the
abstention threshold calibration (dev questions vs. off-topic ones), IVF recall@10 against exact
search, and with ``--baseline`` the textbook LangChain pipeline on the same corpus in the same run.
Speed figures are wall-clock on whatever machine runs it: compare ratios measured in one run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from embeddings import Engine, EngineSettings
from embeddings.documents import iter_files

log = logging.getLogger("bench")
HERE = Path(__file__).resolve().parent


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited across fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(result: dict, records: list[dict], out: Path | None, records_name: str) -> None:
    """Print the figures as JSON; with ``out``, also write them (``figures.json``) and every record (JSONL)."""
    text = json.dumps(result, indent=2)
    print(text)
    if out:
        out.mkdir(parents=True, exist_ok=True)
        (out / "figures.json").write_text(text)
        with open(out / records_name, "w", encoding="utf-8") as fh:
            for r in records:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")


def load_questions(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def quiz_date(q: dict) -> dt.date | None:
    """The date of the quiz that asked a dev question (its id starts ``YYYYMMDD``), None without one."""
    head = str(q.get("id", ""))[:8]
    if len(head) < 8 or not head.isdigit():
        return None
    try:
        return dt.date(int(head[:4]), int(head[4:6]), int(head[6:8]))
    except ValueError:  # eight digits that are no date
        return None


def subset_corpus(corpus: Path, questions: list[dict], limit: int, seed: int = 7) -> Path:
    """A folder of symlinks: every gold document plus random others, ``limit`` in all."""
    files = [p for _, p in iter_files([corpus])]
    gold = {g for q in questions for g in q["gold_docs"]}
    keep = [p for p in files if p.name in gold]
    rest = [p for p in files if p.name not in gold]
    random.Random(seed).shuffle(rest)
    keep += rest[: max(0, limit - len(keep))]
    out = Path(tempfile.mkdtemp(prefix="bench-corpus-"))
    for p in keep:
        (out / p.name).symlink_to(p.resolve())
    return out


_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    # The corpus lost its non-ASCII letters upstream; the evidence kept them. Compare ASCII words.
    return _WORD.findall(text.lower().encode("ascii", "ignore").decode())


def overlaps(excerpt: str, evidence: str, n: int = 6) -> bool:
    """True when the excerpt and the evidence share a run of ``n`` words (or the excerpt is shorter and inside)."""
    ex, ev = _words(excerpt), _words(evidence)
    if not ex or not ev:
        return False
    k = min(n, len(ex))
    grams = {tuple(ev[i : i + k]) for i in range(len(ev) - k + 1)}
    return any(tuple(ex[i : i + k]) in grams for i in range(len(ex) - k + 1))


def words_inside(answer: str, text: str) -> bool:
    """Whether the answer's words appear, in order and whole, in ``text``, case, punctuation and quote marks
    aside (``“Grease”`` in '"Grease" star', "Succession" in '“Succession,”'). A second reading of the
    answer-in-quote figure beside the strict substring one: it forgives typography, not paraphrase ("6" is
    still not "six months", "3 million" not "3.2 million")."""
    wanted = " ".join(_LETTERS.findall(answer.lower()))
    return bool(wanted) and f" {wanted} " in f" {' '.join(_LETTERS.findall(text.lower()))} "


# Runs of letters and digits in any script: any other character separates words ("Colombia’s" is
# "colombia s", where dropping the non-ASCII apostrophe as ``_words`` does would make "colombias").
_LETTERS = re.compile(r"[^\W_]+")


def retrieval_hits(engine: Engine, questions: list[dict], mode: str) -> dict:
    at1 = at5 = 0
    for q in questions:
        docs: list[str] = []
        for h in engine.search(q["question"], k=20, mode=mode):  # type: ignore[arg-type]
            if h.doc_id not in docs:
                docs.append(h.doc_id)
        gold = set(q["gold_docs"])
        at1 += bool(docs[:1] and docs[0] in gold)
        at5 += bool(gold & set(docs[:5]))
    n = len(questions)
    return {"hit@1": round(at1 / n, 3), "hit@5": round(at5 / n, 3)}


def answer_quality(engine: Engine, questions: list[dict], corpus: Path) -> dict:
    cited1 = cited = overlap = answered = answer_quoted = 0
    verbatim = overlap_verbatim = 0
    evidences: list[float] = []
    for q in questions:
        ans = engine.ask(q["question"])
        evidences.append(ans.evidence)
        gold = set(q["gold_docs"])
        answered += ans.answered
        cited_docs = [s.doc_id for s in ans.sources]
        cited1 += bool(cited_docs[:1] and cited_docs[0] in gold)
        cited += bool(gold & set(cited_docs[:5]))
        hit = any(overlaps(e.text, q["evidence"]) for e in ans.excerpts if e.doc_id in gold)
        overlap += hit
        # The quiz writers often paraphrased the evidence; score overlap also where it is verbatim.
        gold_text = " ".join((corpus / g).read_text(errors="ignore") for g in gold if (corpus / g).exists())
        if overlaps(q["evidence"][:200], gold_text, n=8):
            verbatim += 1
            overlap_verbatim += hit
        quoted = " ".join(e.text.lower() for e in ans.excerpts)
        answer_quoted += any(a.lower() in quoted for a in q.get("answer", []))
    n = len(questions)
    return {
        "answered": round(answered / n, 3),
        "cited_hit@1": round(cited1 / n, 3),
        "cited_hit@5": round(cited / n, 3),
        "excerpt_overlaps_evidence": round(overlap / n, 3),
        "excerpt_overlaps_evidence_where_verbatim": round(overlap_verbatim / max(1, verbatim), 3),
        "questions_with_verbatim_evidence": verbatim,
        "gold_answer_in_a_quote": round(answer_quoted / n, 3),
        "evidences": evidences,
    }


def ask_times(engine: Engine, questions: list[str], rounds: int,
              asked: Sequence[dt.date | None] | None = None) -> list[float]:
    """Milliseconds of each ``engine.ask``, every question asked ``rounds`` times (on its day of
    ``asked``, when given, as the bot asks on its message's)."""
    days = list(asked) if asked is not None else [None] * len(questions)
    times = []
    for _ in range(rounds):
        for q, day in zip(questions, days):
            t = time.perf_counter()
            engine.ask(q, asked_on=day)
            times.append((time.perf_counter() - t) * 1000)
    return times


def latency(engine: Engine, questions: list[str], rounds: int, asked: Sequence[dt.date | None] | None = None) -> dict:
    """``ask`` latency with every question embedded (the question cache is emptied before each round)."""
    for q in questions[:5]:
        engine.ask(q)  # warm-up: encoder session, page cache
    times: list[float] = []
    for _ in range(rounds):
        engine.forget_questions()
        times += ask_times(engine, questions, 1, asked)
    times.sort()
    return {
        "queries": len(times),
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
        "mean_ms": round(statistics.fmean(times), 2),
    }


def calibrate(dev: list[float], offtopic: list[float], current: float) -> dict:
    """The threshold that best separates answerable dev questions from off-topic ones."""
    grid = [round(float(t), 2) for t in np.arange(0.20, 0.90, 0.01)]
    correct = {t: sum(e >= t for e in dev) + sum(e < t for e in offtopic) for t in grid}
    top = max(correct.values())
    tied = [t for t in grid if correct[t] == top]
    best = tied[len(tied) // 2]  # the middle of the best range: the widest margin both ways

    def rates(t: float) -> dict:
        return {
            "threshold": round(t, 2),
            "dev_answered": round(sum(e >= t for e in dev) / len(dev), 3),
            "offtopic_abstained": round(sum(e < t for e in offtopic) / len(offtopic), 3),
        }

    return {"configured": rates(current), "best": rates(best),
            "dev_evidence_p10_p50": [round(float(np.percentile(dev, p)), 3) for p in (10, 50)],
            "offtopic_evidence_p50_p90": [round(float(np.percentile(offtopic, p)), 3) for p in (50, 90)]}


def ann_recall(engine: Engine, queries: list[str], k: int = 10) -> dict | None:
    """Recall@k of the approximate index against exact search over the same vectors: an IVF index for a
    few nprobe, an HNSW graph for a few efSearch (None for an exact index)."""
    import faiss

    from embeddings import vector_index

    gen = engine.generation
    if isinstance(gen.index, faiss.IndexIVF):
        out: dict = {"nlist": gen.index.nlist, "configured_nprobe": engine.settings.ivf_nprobe}
        variants = {f"nprobe={n}": faiss.SearchParametersIVF(nprobe=n) for n in (8, 16, 32, 64, 128)}
    elif isinstance(gen.index, faiss.IndexHNSW):
        out = {"index": vector_index.kind(gen.index)}
        variants = {f"efSearch={ef}": faiss.SearchParametersHNSW(efSearch=max(ef, k))
                    for ef in (32, 64, vector_index.HNSW_EF_SEARCH, 256)}
    else:
        return None
    vectors = np.asarray(gen.vectors)
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    qv = np.stack([engine.embed_query(q) for q in queries])
    t = time.perf_counter()
    _, truth = exact.search(qv, k)
    out["exact_ms_per_query"] = round((time.perf_counter() - t) * 1000 / len(queries), 3)
    for name, params in variants.items():
        t = time.perf_counter()
        _, approx = gen.index.search(qv, k, params=params)
        ms = (time.perf_counter() - t) * 1000 / len(queries)
        recall = np.mean([len(set(a) & set(b)) / k for a, b in zip(approx, truth)])
        out[name] = {"recall@10": round(float(recall), 4), "ms_per_query": round(ms, 3)}
    return out


def cold_ask(data_dir: Path, question: str) -> float:
    """Wall time of `docbot ask` in a new process: what a user at a terminal waits."""
    env = {**os.environ, "DOCBOT_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "embeddings.cli", "ask", question, "--json"],
                   env=env, check=True, capture_output=True)
    return round(time.perf_counter() - t, 3)


def query_process(data_dir: Path, questions: list[str]) -> dict:
    """A fresh process that only answers: whether torch got imported, and its peak memory."""
    code = (
        "import sys, json; from benchmarks.bench import peak_rss_mb; "
        "from embeddings import Engine, EngineSettings; "
        f"e = Engine(EngineSettings(data_dir={str(data_dir)!r})).load(); "
        f"[e.ask(q) for q in {questions!r}]; "
        "print(json.dumps({'torch_imported': 'torch' in sys.modules, "
        "'peak_rss_mb': round(peak_rss_mb())}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def corpus_missing(corpus: Path, questions: Path) -> bool:
    """True (after printing the one-line JSON skip) when the corpus or its questions are absent."""
    if corpus.is_dir() and questions.is_file():
        return False
    print(json.dumps({"skipped": f"corpus {corpus} or questions {questions} not found"}))
    return True


def emit(result: dict, out: Path | None, table: str | None = None) -> None:
    """Print a benchmark's JSON (and its README table, when asked for) and write the JSON to ``out``."""
    text = json.dumps(result, indent=2, default=str)
    print(text)
    if table:
        print(table)
    if out:
        out.write_text(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=Path(os.environ.get("DOCBOT_BENCH_CORPUS", "../shared/corpora/news2022")))
    ap.add_argument("--questions", type=Path, default=Path(os.environ.get("DOCBOT_BENCH_QUESTIONS", "../shared/corpora/news2022-qa-dev.jsonl")))
    ap.add_argument("--data-dir", type=Path, help="index here (default: a temporary folder)")
    ap.add_argument("--reuse-index", action="store_true", help="skip indexing when --data-dir has an index")
    ap.add_argument("--limit-docs", type=int, help="index the gold documents plus random others, N in all")
    ap.add_argument("--chunk-tokens", type=int)
    ap.add_argument("--overlap-tokens", type=int)
    ap.add_argument("--rounds", type=int, default=3, help="latency: passes over the question set")
    ap.add_argument("--baseline", action="store_true", help="also run the textbook LangChain pipeline")
    ap.add_argument("--baseline-only", action="store_true")
    ap.add_argument("--out", type=Path, help="also write the JSON here")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    if corpus_missing(args.corpus, args.questions):
        return 0
    questions = load_questions(args.questions)
    corpus = subset_corpus(args.corpus, questions, args.limit_docs) if args.limit_docs else args.corpus
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-data-"))
    overrides = {k: v for k, v in {"chunk_tokens": args.chunk_tokens,
                                    "chunk_overlap_tokens": args.overlap_tokens}.items() if v}
    settings = EngineSettings(data_dir=data_dir, docs_dir=corpus, **overrides)
    result: dict = {"corpus": str(args.corpus), "questions": len(questions),
                    "chunk_tokens": settings.chunk_tokens, "overlap_tokens": settings.chunk_overlap_tokens,
                    "cpu_count": os.cpu_count()}
    engine = Engine(settings)

    if not args.baseline_only:
        if not (args.reuse_index and (data_dir / "CURRENT").exists()):
            shutil.rmtree(data_dir / "generations", ignore_errors=True)
            (data_dir / "CURRENT").unlink(missing_ok=True)
            t = time.perf_counter()
            report = engine.reindex()
            wall = time.perf_counter() - t
            result["index"] = {"documents": report.documents_total, "chunks": report.chunks_total,
                               "skipped": len(report.skipped), "seconds": round(wall, 1),
                               "chunks_per_s": round(report.chunks_total / wall, 1),
                               "documents_per_s": round(report.documents_total / wall, 2),
                               "peak_rss_mb": round(peak_rss_mb())}
            t = time.perf_counter()
            again = engine.reindex()
            result["unchanged_reindex"] = {"seconds": round(time.perf_counter() - t, 2),
                                           "chunks_embedded": again.chunks_embedded, "published": again.published}
        engine.load()
        stats = engine.stats()
        result["index_type"] = stats.index_type
        result["index_size_mb"] = round(stats.size_bytes / 2**20, 1)
        for mode in ("hybrid", "dense", "bm25"):
            result[f"retrieval_{mode}"] = retrieval_hits(engine, questions, mode)
        quality = answer_quality(engine, questions, args.corpus)
        offtopic = [q for q in (HERE / "offtopic.txt").read_text().splitlines() if q.strip()]
        off_evidence = [engine.ask(q).evidence for q in offtopic]
        result["answers"] = {k: v for k, v in quality.items() if k != "evidences"}
        result["abstention"] = calibrate(quality["evidences"], off_evidence, settings.min_evidence)
        result["ask_latency"] = latency(engine, [q["question"] for q in questions], args.rounds)
        result["ann"] = ann_recall(engine, [q["question"] for q in questions] + offtopic)
        result["cold_ask_seconds"] = cold_ask(data_dir, questions[0]["question"])
        result["query_only_process"] = query_process(data_dir, [q["question"] for q in questions[:20]])
        result["peak_rss_mb"] = round(peak_rss_mb())

    if args.baseline or args.baseline_only:
        from benchmarks.textbook import run_textbook

        base = run_textbook(corpus, questions)
        result["textbook_baseline"] = base
        if "index" in result:
            result["index_speedup_vs_textbook"] = round(
                base["seconds"] / result["index"]["seconds"], 2)

    emit(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
