"""Two versions of the query path in one process, question by question: what a change saved.

    python -m benchmarks.query_compare --data-dir DIR --ref COMMIT [--questions FILE.jsonl] [--rounds 3]
        [--overlap] [--dated] [--ref-data-dir DIR2]

The ``embeddings`` package of git commit ``COMMIT`` (read with ``git archive``, nothing checked out)
is loaded beside this checkout's under another name, both engines answer from the same index ``DIR``
(read only), and every question is asked of one version and then of the other, the order
alternating. On a machine other jobs keep busy, wall times of two runs are not comparable; times
taken a few milliseconds apart in one process are, and CPU time (``time.thread_time`` of the asking
thread, stage by stage: the engine's own stopwatch with CPU time in place of wall time) is less
disturbed still. Prints JSON:

* for each version (``ref`` and ``this``): CPU p50 / mean of ``Engine.ask`` and each stage's CPU
  p50, and the wall p50;
* ``ratio``: the median per-question ratio of this version to ``ref``, CPU and wall;
* ``different_answers``: the questions (of the first round) whose answers differ in anything but
  their timings: a speed change should leave this empty.

``--ref-data-dir`` lets the ``ref`` version answer from another index (a copy of the same one in
an older layout, say, as each version's ``docbot index`` would have written it); the answers of the
two may then differ where the indexes do.

``--overlap`` keeps ``query_overlap`` on and lets both versions overlap the embedding and BM25 on two
threads whatever the load (the CPU figures are then the asking thread's only). The question cache is off in both.

``--dated`` asks each dev question on its quiz's date (its id starts ``YYYYMMDD``), as the bot asks
on its message's: a question about "this week" then also ranks that week's documents (README,
"Recency"). Undated by default, as ``query_speed`` asks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks.bench import load_questions, quiz_date
from embeddings.engine import _Stopwatch

ROOT = Path(__file__).resolve().parent.parent
REF_PACKAGE = "embeddings_ref"


class CpuStopwatch(_Stopwatch):
    """The engine's ``_Stopwatch`` with the asking thread's CPU time in place of wall time (patched into
    both versions' engines, so the reference commit's own stopwatch is not needed)."""

    clock = staticmethod(time.thread_time)


def load_ref(commit: str, into: Path) -> ModuleType:
    """The ``embeddings`` package of ``commit``, imported as ``embeddings_ref`` from ``into``.

    Its modules import each other relatively, so the renamed copy uses only its own code.
    """
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "embeddings"],
                             capture_output=True, check=True).stdout
    with tempfile.TemporaryFile() as fh:
        fh.write(archive)
        fh.seek(0)
        with tarfile.open(fileobj=fh) as tar:
            tar.extractall(into, filter="data")
    (into / "embeddings").rename(into / REF_PACKAGE)
    _unload_ref()
    sys.path.insert(0, str(into))
    try:
        return importlib.import_module(REF_PACKAGE)
    finally:
        sys.path.remove(str(into))


def _unload_ref() -> None:
    """Forget an earlier ``embeddings_ref`` (another commit, or a folder since removed)."""
    for name in [n for n in sys.modules if n == REF_PACKAGE or n.startswith(REF_PACKAGE + ".")]:
        del sys.modules[name]


@contextmanager
def _measured(package: ModuleType, overlap: bool) -> Iterator[None]:
    """Within: ``package``'s engine times stages in CPU time (and with ``overlap`` overlaps the embedding
    and BM25 whatever the load); restored after, so that nothing else in the process is measured so."""
    engine_module = importlib.import_module(f"{package.__name__}.engine")
    saved = engine_module._Stopwatch, engine_module.idle_cores
    engine_module._Stopwatch = CpuStopwatch
    if overlap:
        engine_module.idle_cores = lambda: 2
    try:
        yield
    finally:
        engine_module._Stopwatch, engine_module.idle_cores = saved


def _engine(package: ModuleType, data_dir: Path, overlap: bool) -> Any:
    settings = package.EngineSettings(data_dir=data_dir, _env_file=None, query_cache_size=0, query_overlap=overlap)
    return package.Engine(settings).load()


def _p50(values: list[float]) -> float:
    return round(statistics.median(values), 3) if values else 0.0


def _comparable(answer: Any) -> str:
    return json.dumps(answer.model_dump(exclude={"elapsed_ms", "timings_ms"}), sort_keys=True, default=str)


def compare(engines: dict[str, Any], questions: list[str], rounds: int,
            asked: list[dt.date | None] | None = None) -> dict:
    """Ask every question of each engine in turn (the order alternating), ``rounds`` times, each on
    its day of ``asked`` when given."""
    days = asked or [None] * len(questions)
    for q in questions[:5]:  # warm-up: sessions, page cache
        for engine in engines.values():
            engine.ask(q)
    cpu: dict[str, list[float]] = {k: [] for k in engines}
    wall: dict[str, list[float]] = {k: [] for k in engines}
    stages: dict[str, dict[str, list[float]]] = {k: {} for k in engines}
    different: list[str] = []
    names = list(engines)
    for r in range(rounds):
        for i, q in enumerate(questions):
            answers = {}
            for name in (names if (i + r) % 2 == 0 else names[::-1]):
                t = time.perf_counter()
                answer = engines[name].ask(q, asked_on=days[i])
                wall[name].append((time.perf_counter() - t) * 1000)
                cpu[name].append(answer.elapsed_ms)
                for stage, ms in answer.timings_ms.items():
                    stages[name].setdefault(stage, []).append(ms)
                answers[name] = answer
            if r == 0 and len({_comparable(a) for a in answers.values()}) > 1:
                different.append(q)
    out: dict = {"questions": len(questions), "rounds": rounds}
    for name in names:
        out[name] = {"cpu_p50_ms": _p50(cpu[name]), "cpu_mean_ms": round(statistics.fmean(cpu[name]), 3),
                     "wall_p50_ms": _p50(wall[name]),
                     "stages_cpu_p50_ms": {s: _p50(v) for s, v in stages[name].items()}}
    ref, this = names
    out["ratio"] = {
        "cpu": round(statistics.median(a / b for a, b in zip(cpu[this], cpu[ref]) if b > 0), 3),
        "wall": round(statistics.median(a / b for a, b in zip(wall[this], wall[ref]) if b > 0), 3),
    }
    out["different_answers"] = different
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    shared = Path(os.environ.get("DOCBOT_SHARED_DIR", ROOT.parent / "shared"))
    ap.add_argument("--data-dir", type=Path, required=True, help="an index built by docbot (read only)")
    ap.add_argument("--ref", required=True, help="the git commit to compare this checkout with")
    ap.add_argument("--questions", type=Path, default=shared / "corpora" / "news2022-qa-dev.jsonl")
    ap.add_argument("--rounds", type=int, default=3, help="passes over the questions")
    ap.add_argument("--overlap", action="store_true", help="overlap the embedding and BM25 in both, whatever the load")
    ap.add_argument("--dated", action="store_true", help="ask each question on its quiz's date, as the bot asks")
    ap.add_argument("--ref-data-dir", type=Path, help="the index the ref version reads (default: --data-dir)")
    args = ap.parse_args(argv)
    if not (args.data_dir / "CURRENT").exists() or not args.questions.is_file():
        print(json.dumps({"skipped": f"no index in {args.data_dir} or no questions {args.questions}"}))
        return 0
    import embeddings

    rows = load_questions(args.questions)
    questions = [q["question"] for q in rows]
    asked = [quiz_date(q) for q in rows] if args.dated else None
    with tempfile.TemporaryDirectory(prefix="docbot-compare-") as tmp:
        try:
            ref = load_ref(args.ref, Path(tmp))
        except subprocess.CalledProcessError as exc:
            print(f"cannot read {args.ref!r} from git: {exc.stderr.decode(errors='replace').strip()}", file=sys.stderr)
            return 2
        try:
            with _measured(ref, args.overlap), _measured(embeddings, args.overlap):
                engines = {"ref": _engine(ref, args.ref_data_dir or args.data_dir, args.overlap),
                           "this": _engine(embeddings, args.data_dir, args.overlap)}
                result = {"data_dir": str(args.data_dir), "ref_data_dir": str(args.ref_data_dir or args.data_dir),
                          "ref_commit": args.ref, "overlap": args.overlap, "dated": args.dated,
                          **compare(engines, questions, args.rounds, asked)}
        finally:
            _unload_ref()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
