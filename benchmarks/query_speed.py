"""Query speed: where a question's time goes, stage by stage, and what each faster path buys.

    python -m benchmarks.query_speed --data-dir DIR [--questions FILE.jsonl] [--rounds 3] [--cold 5]
        [--cold-only] [--cold-baseline CHECKOUT]

``DIR`` is an index built by docbot (the README's figures: the full news2022 index); nothing is
written to it. Everything runs in one process, and every variant embeds the same question back to
back, so a machine that other jobs keep busy slows all of them alike: compare the ratios. Prints JSON:

* ``ask``: ``Engine.ask`` in-process with the default settings and the question cache off (every
  question embedded), p50 / p95 / mean, and the p50 of each stage (``Answer.timings_ms``: embed,
  terms, dense, bm25, fusion, evidence, answer); ``tokenize`` is the tokenizer alone (part of embed).
  When a second core is idle BM25 searches on another thread while the question is embedded, and
  "bm25" is the wait for its ranking after the embedding (``embedded_beside_bm25``: how often, and
  "terms" is then part of "bm25"); ``one_thread`` is the same engine
  with ``query_overlap`` off, asked in turn question by question, with the median ratio of the two;
* ``ask_repeated``: the same questions asked again with the cache on;
* ``embed``: the question embedding alone, fp32 and int8 with 1, 2 and adaptive threads: p50 and the
  median per-question ratio to fp32 on one thread;
* ``cold``: wall time of ``docbot ask`` in a new process (median and best of ``--cold`` runs), the
  same for the first question with a number in it, and where a cold question's time goes (imports,
  index with the encoder made beside it, the wait for the encoder, first question); with
  ``--cold-baseline CHECKOUT`` (e.g. ``git worktree add /tmp/main main``) the same ``docbot ask`` from
  that checkout, run by run in turn with this one, and the ratios. ``--cold-only`` measures nothing else;
* ``machine``: cores available and the other runnable threads seen while measuring.

Retrieval quality of the same variants: ``python -m benchmarks.quality --news-data-dir DIR
--engine-setting query_precision=fp32`` (or ``=int8``, the default).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.bench import ask_times, emit, load_questions
from embeddings import Engine, EngineSettings
from embeddings.cpu import available_cores, runnable_others
from embeddings.encoder import OnnxEncoder, onnx_dir

ROOT = Path(__file__).resolve().parent.parent


def _p(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 3) if values else 0.0


def _summary(values: list[float]) -> dict:
    return {"n": len(values), "p50_ms": _p(values, 50), "p95_ms": _p(values, 95),
            "mean_ms": round(statistics.fmean(values), 3) if values else 0.0}


class _Load:
    """Samples the other runnable threads while measuring: the contention the figures carry."""

    def __init__(self) -> None:
        self.samples: list[int] = []

    def sample(self) -> None:
        self.samples.append(runnable_others())

    def report(self) -> dict:
        s = self.samples or [0]
        return {"cores_available": available_cores(), "other_runnable_mean": round(statistics.fmean(s), 2),
                "other_runnable_max": max(s), "loadavg": os.getloadavg()[0]}


def ask_stages(settings: EngineSettings, questions: list[str], rounds: int, load: _Load) -> dict:
    """``Engine.ask`` with the cache off: total and per-stage p50 over ``rounds`` passes, and beside it,
    question by question in turn, the same engine on one thread (``query_overlap`` off)."""
    engine = Engine(settings.model_copy(update={"query_cache_size": 0})).load()
    alone = Engine(settings.model_copy(update={"query_cache_size": 0, "query_overlap": False})).load()
    for q in questions[:5]:
        engine.ask(q)  # warm-up: sessions, page cache
        alone.ask(q)
    tokenizer = engine._query_encoder().tokenizer  # type: ignore[attr-defined]
    totals: list[float] = []
    one_thread: list[float] = []
    stages: dict[str, list[float]] = {}
    alone_stages: dict[str, list[float]] = {}
    tokenize: list[float] = []
    overlapped = 0
    for r in range(rounds):
        for i, q in enumerate(questions):
            load.sample()
            t = time.perf_counter()
            tokenizer.encode(q)
            tokenize.append((time.perf_counter() - t) * 1000)
            for which in ((engine, alone) if (i + r) % 2 == 0 else (alone, engine)):
                t = time.perf_counter()
                answer = which.ask(q)
                ms = (time.perf_counter() - t) * 1000
                if which is alone:
                    one_thread.append(ms)
                else:
                    totals.append(ms)
                    overlapped += list(answer.timings_ms)[:2] == ["embed", "bm25"]  # BM25 searched beside the embedding
                into = alone_stages if which is alone else stages
                for stage, value in answer.timings_ms.items():
                    into.setdefault(stage, []).append(value)
    out = _summary(totals)
    out["stages_p50_ms"] = {"tokenize": _p(tokenize, 50), **{k: _p(v, 50) for k, v in stages.items()}}
    out["stages_mean_ms"] = {k: round(statistics.fmean(v), 3) for k, v in stages.items()}
    out["embedded_beside_bm25"] = round(overlapped / max(1, len(totals)), 3)
    out["one_thread"] = _summary(one_thread)
    out["one_thread"]["stages_p50_ms"] = {k: _p(v, 50) for k, v in alone_stages.items()}
    out["ratio_to_one_thread"] = round(statistics.median(a / b for a, b in zip(totals, one_thread)), 3)
    return out


def ask_repeated(settings: EngineSettings, questions: list[str], rounds: int) -> dict:
    """Every question asked once to fill the cache, then ``rounds`` more times."""
    engine = Engine(settings).load()
    for q in questions:
        engine.ask(q)
    return _summary(ask_times(engine, questions, rounds))


def embed_variants(directory: Path, questions: list[str], rounds: int, load: _Load) -> dict:
    """The question embedding alone for each precision and thread count, interleaved per question."""
    variants = {
        f"{precision}_{'adaptive' if threads == 0 else f'{threads}t'}": OnnxEncoder(
            directory, threads=threads, precision=precision)
        for precision in ("fp32", "int8") for threads in (1, 2, 0)
    }
    times: dict[str, list[float]] = {k: [] for k in variants}
    vectors: dict[str, list[np.ndarray]] = {k: [] for k in variants}
    for enc in variants.values():
        for q in questions[:3]:
            enc.encode([q])
    for r in range(rounds):
        for q in questions:
            load.sample()
            for name, enc in variants.items():
                t = time.perf_counter()
                v = enc.encode([q])[0]
                times[name].append((time.perf_counter() - t) * 1000)
                if r == 0:
                    vectors[name].append(v)
    base = times["fp32_1t"]
    out = {}
    for name in variants:
        cos = [float(a @ b) for a, b in zip(vectors[name], vectors["fp32_1t"])]
        out[name] = {
            "model": variants[name].model_path.name,
            "p50_ms": _p(times[name], 50),
            "ratio_to_fp32_1t": round(statistics.median(a / b for a, b in zip(times[name], base)), 3),
            "cosine_to_fp32_min": round(min(cos), 4), "cosine_to_fp32_mean": round(statistics.fmean(cos), 5),
        }
    return out


_PHASES = r"""
import time, sys, json
t0 = time.perf_counter()
from pathlib import Path
from embeddings import Engine, EngineSettings
t1 = time.perf_counter()
e = Engine(EngineSettings(data_dir=Path(sys.argv[1])))
warming = e.warm_up(sys.argv[2])  # as `docbot ask` does: the encoder is made while the index opens
e.load()
t2 = time.perf_counter()
if warming is not None:
    warming.join()
else:
    e.embed_query(sys.argv[2])
t3 = time.perf_counter()
a = e.ask(sys.argv[2])
t4 = time.perf_counter()
print(json.dumps({"import_ms": (t1 - t0) * 1000, "load_index_ms": (t2 - t1) * 1000,
                  "encoder_ms": (t3 - t2) * 1000, "first_ask_ms": (t4 - t3) * 1000,
                  "first_ask_stages_ms": a.timings_ms, "torch_imported": "torch" in sys.modules,
                  "bm25s_imported": "bm25s" in sys.modules}))
"""


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _figures(prefix: str, walls: list[float], cpus: list[float]) -> dict:
    return {f"{prefix}seconds_median": round(statistics.median(walls), 3), f"{prefix}seconds_best": round(min(walls), 3),
            f"{prefix}cpu_seconds_median": round(statistics.median(cpus), 3),
            f"{prefix}cpu_seconds_best": round(min(cpus), 3)}


def cold(data_dir: Path, question: str, runs: int, numbered: str | None = None, baseline: Path | None = None,
         load: _Load | None = None) -> dict:
    """``docbot ask`` in new processes (as a user at a terminal waits), and the phases of one.

    docbot's modules are compiled to bytecode first, as an installation or any first run leaves
    them (``PYTHONDONTWRITEBYTECODE`` would make every run compile them again). Besides the wall
    time, the CPU time of each run: what a busy machine does not inflate by waiting. ``numbered``: a
    question with a number in it, asked in turn with ``question`` (its words' rarity comes from the
    word table, or from wordfreq where the table lacks numbers). ``baseline``: another checkout of
    docbot (``git worktree add DIR main``) whose ``docbot ask`` of ``question`` runs in turn with this
    one's, run by run, so that both see the same machine: its figures and the ratios (this / baseline)
    of the medians and of the bests.
    """
    trees = [ROOT] + ([baseline] if baseline else [])
    for tree in trees:
        compileall.compile_dir(str(tree / "embeddings"), quiet=1)

    def ask(tree: Path, text: str, wall: list[float], cpu: list[float]) -> None:
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(tree)}
        t, c = time.perf_counter(), _child_cpu()
        subprocess.run([sys.executable, "-m", "embeddings.cli", "--data-dir", str(data_dir), "ask", text],
                       env=env, cwd=tree, check=True, capture_output=True)
        wall.append(time.perf_counter() - t)
        cpu.append(_child_cpu() - c)
        if load is not None:
            load.sample()

    walls, cpus, number_walls, number_cpus, base_walls, base_cpus = [], [], [], [], [], []
    for i in range(runs):
        turn = [(ROOT, question, walls, cpus)] + ([(baseline, question, base_walls, base_cpus)] if baseline else [])
        for tree, text, wall, cpu in turn if i % 2 == 0 else turn[::-1]:
            ask(tree, text, wall, cpu)
        if numbered is not None:
            ask(ROOT, numbered, number_walls, number_cpus)
    phases = []
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", _PHASES, str(data_dir), question], env=env, cwd=ROOT,
                             check=True, capture_output=True, text=True)
        phases.append(json.loads(out.stdout.strip().splitlines()[-1]))
    best = min(phases, key=lambda p: p["import_ms"] + p["load_index_ms"] + p["encoder_ms"] + p["first_ask_ms"])
    bare = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - t)
    numbers = {} if not number_walls else {"question_with_a_number": numbered, **_figures("number_", number_walls, number_cpus)}
    against = {} if not baseline else {
        "baseline": str(baseline), **_figures("baseline_", base_walls, base_cpus),
        "ratio_to_baseline": {
            "wall_median": round(statistics.median(walls) / statistics.median(base_walls), 3),
            "wall_best": round(min(walls) / min(base_walls), 3),
            "cpu_median": round(statistics.median(cpus) / statistics.median(base_cpus), 3),
            "cpu_best": round(min(cpus) / min(base_cpus), 3),
        },
    }
    return {
        **numbers,
        **_figures("docbot_ask_", walls, cpus),
        **against,
        "python_start_seconds_best": round(min(bare), 3),
        "phases_of_the_fastest_run_ms": {k: (round(v, 1) if isinstance(v, float) else v) for k, v in best.items()},
    }


def markdown(result: dict) -> str:
    """The README's table (Speed) from one run's figures."""
    rows = ["| figure | value |", "| --- | --- |"]
    if "ask" in result:
        rows += _question_rows(result)
    rows += _cold_rows(result.get("cold"))
    m = result["machine"]
    rows.append(f"| the machine while measuring | {m['cores_available']} cores, other runnable threads mean "
                f"{m['other_runnable_mean']} (max {m['other_runnable_max']}) |")
    return "\n".join(rows)


def _question_rows(result: dict) -> list[str]:
    ask, emb = result["ask"], result["embed"]
    stages = ", ".join(f"{k} {v}" for k, v in ask["stages_p50_ms"].items())
    rows = [
        f"| `Engine.ask` in-process, every question embedded (p50 / p95, {ask['n']} asks) | "
        f"**{ask['p50_ms']}** / {ask['p95_ms']} ms |",
        f"| its stages, p50 ms | {stages} |",
        f"| the same engine on one thread (`DOCBOT_QUERY_OVERLAP=false`), asked in turn: p50 / p95; median "
        f"ratio of the two per question | {ask['one_thread']['p50_ms']} / {ask['one_thread']['p95_ms']} ms; "
        f"{ask['ratio_to_one_thread']}x (BM25 beside the embedding: {ask['embedded_beside_bm25']:.0%} of the questions) |",
        "| its stages on one thread, p50 ms | " + ", ".join(
            f"{k} {v}" for k, v in ask["one_thread"]["stages_p50_ms"].items()) + " |",
        f"| the same questions asked again (question cache) p50 / p95 | "
        f"{result['ask_repeated']['p50_ms']} / {result['ask_repeated']['p95_ms']} ms |",
    ]
    for name, v in emb.items():
        rows.append(f"| question embedding {name.replace('_', ', ')} (`{v['model']}`): p50, ratio to fp32 on 1 "
                    f"thread, cosine to fp32 min / mean | {v['p50_ms']} ms, {v['ratio_to_fp32_1t']}x, "
                    f"{v['cosine_to_fp32_min']} / {v['cosine_to_fp32_mean']} |")
    return rows


def _cold_rows(cold_: dict | None) -> list[str]:
    rows: list[str] = []
    if cold_:
        ph = cold_["phases_of_the_fastest_run_ms"]
        rows.append(f"| cold `docbot ask` wall median / best; CPU median / best | {cold_['docbot_ask_seconds_median']} / "
                    f"**{cold_['docbot_ask_seconds_best']}** s; {cold_['docbot_ask_cpu_seconds_median']} / "
                    f"**{cold_['docbot_ask_cpu_seconds_best']}** s (`python -c pass`: {cold_['python_start_seconds_best']} s) |")
        if "number_seconds_best" in cold_:
            rows.append(f"| cold `docbot ask` of a question with a number (“{cold_['question_with_a_number'][:40]}…”): "
                        f"wall median / best; CPU median / best | {cold_['number_seconds_median']} / "
                        f"**{cold_['number_seconds_best']}** s; {cold_['number_cpu_seconds_median']} / "
                        f"**{cold_['number_cpu_seconds_best']}** s |")
        if "baseline" in cold_:
            r = cold_["ratio_to_baseline"]
            rows.append(f"| the same `docbot ask` from `{cold_['baseline']}`, run by run in turn: wall median / best; "
                        f"CPU median / best | {cold_['baseline_seconds_median']} / {cold_['baseline_seconds_best']} s; "
                        f"{cold_['baseline_cpu_seconds_median']} / {cold_['baseline_cpu_seconds_best']} s |")
            rows.append(f"| ratio this / baseline: wall median, best; CPU median, best | {r['wall_median']}x, "
                        f"{r['wall_best']}x; {r['cpu_median']}x, {r['cpu_best']}x |")
        rows.append(f"| its phases (fastest run): imports, index (encoder made beside it), wait for the encoder, "
                    f"first question | {ph['import_ms']}, {ph['load_index_ms']}, {ph['encoder_ms']}, "
                    f"{ph['first_ask_ms']} ms; torch imported: {ph['torch_imported']}, bm25s: {ph['bm25s_imported']} |")
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    shared = Path(os.environ.get("DOCBOT_SHARED_DIR", ROOT.parent / "shared"))
    ap.add_argument("--data-dir", type=Path, required=True, help="an index built by docbot (read only)")
    ap.add_argument("--questions", type=Path, default=shared / "corpora" / "news2022-qa-dev.jsonl")
    ap.add_argument("--rounds", type=int, default=3, help="passes over the questions")
    ap.add_argument("--cold", type=int, default=5, help="new processes for the cold-start figures (0: none)")
    ap.add_argument("--cold-only", action="store_true", help="only the cold-start figures (no in-process passes)")
    ap.add_argument("--cold-baseline", type=Path, metavar="CHECKOUT",
                    help="another docbot checkout whose cold `docbot ask` runs in turn with this one's")
    ap.add_argument("--out", type=Path, help="also write the JSON here")
    ap.add_argument("--markdown", action="store_true", help="also print the README's table")
    args = ap.parse_args(argv)
    if not (args.data_dir / "CURRENT").exists() or not args.questions.is_file():
        print(json.dumps({"skipped": f"no index in {args.data_dir} or no questions {args.questions}"}))
        return 0
    questions = [q["question"] for q in load_questions(args.questions)]
    settings = EngineSettings(data_dir=args.data_dir, _env_file=None)
    load = _Load()
    result: dict = {"data_dir": str(args.data_dir), "questions": len(questions), "rounds": args.rounds}
    if not args.cold_only:
        result["ask"] = ask_stages(settings, questions, args.rounds, load)
        result["ask_repeated"] = ask_repeated(settings, questions, args.rounds)
        result["embed"] = embed_variants(onnx_dir(settings), questions, args.rounds, load)
    if args.cold or args.cold_only:
        numbered = next((q for q in questions if any(ch.isdigit() for ch in q)), None)
        result["cold"] = cold(args.data_dir, questions[0], args.cold or 5, numbered, args.cold_baseline, load)
    result["machine"] = load.report()
    emit(result, args.out, markdown(result) if args.markdown else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
