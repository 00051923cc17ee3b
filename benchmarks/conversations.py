"""Follow-up questions in conversations: how many follow-ups a context-free question gets right, and how
many the conversation-aware one does.

    python -m benchmarks.conversations [--work-dir DIR] [--corpus DIR] [--out DIR]

The conversations (``benchmarks/data/conversations.jsonl``) are two or three turns each, over the shipped
``seeds/`` and a few hundred news2022 articles: a first question, then follow-ups such as "and what did
Lavrov say?", "how old is he?", "tell me more about the second source", a question on a new topic, or one
the documents don't answer. Every answerable turn lists the phrases one of which must be quoted.

The articles are read from the news2022 corpus (``--corpus``, default ``../shared/corpora/news2022``) by
the ids in ``benchmarks/data/conversations_corpus.txt`` and copied, with the seeds, into ``WORK/docs``;
the index is built (incrementally, so a second run reuses it) in ``WORK/index``. Nothing of the corpus is
kept in the repository. ``--docs DIR`` runs the conversations over any folder instead (the smoke test).

Each conversation is played once with the engine reading every question with the turns before it (each
turn made from the engine's own earlier answer: ``Turn.of``), and every follow-up is also asked alone,
as a context-free question. Printed as JSON: first turns right; follow-ups right context-free and
conversation-aware, in all and by kind; unanswerable follow-ups refused; how the follow-ups were read;
and ``ask`` latency of both. ``--out DIR`` writes every turn's record (``turns.jsonl``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench import load_questions, report
from embeddings import Answer, Engine, EngineSettings, InvalidRequest, Turn

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
log = logging.getLogger("conversations")


def gather_documents(work: Path, corpus: Path, ids: list[str]) -> Path:
    """``work/docs``: the seeds and the listed articles, copied from the corpus (unchanged files stay)."""
    docs = work / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    sources = [ROOT / "seeds" / p.name for p in sorted((ROOT / "seeds").glob("*.txt"))]
    sources += [corpus / name for name in ids]
    for src in sources:
        target = docs / src.name
        if not target.exists() or target.stat().st_size != src.stat().st_size:
            shutil.copyfile(src, target)
    return docs


def right(turn: dict, answer: Answer) -> bool:
    """An answerable turn is right when the answer quotes one of its phrases; an unanswerable one when it abstains."""
    if not turn.get("answerable", True):
        return not answer.answered
    quoted = " ".join(e.text for e in answer.excerpts).lower()
    return answer.answered and any(p.lower() in quoted for p in turn["phrase"])


def _timed(engine: Engine, question: str, history: list[Turn]) -> tuple[Answer, float]:
    """The answer (a refusal counts as not answered) and how long it took, in ms."""
    started = time.perf_counter()
    try:
        answer = engine.ask(question, history=history)
    except InvalidRequest as exc:  # e.g. "the second source" after an answer with one
        answer = Answer(question=question, answered=False, message=str(exc), evidence=0.0)
    return answer, (time.perf_counter() - started) * 1000


def play(engine: Engine, conversations: list[dict]) -> list[dict]:
    """Every turn of every conversation, asked with its conversation and (follow-ups) alone."""
    records = []
    for conv in conversations:
        history: list[Turn] = []
        for i, turn in enumerate(conv["turns"]):
            aware, aware_ms = _timed(engine, turn["question"], history)
            record = {
                "conversation": conv["id"], "turn": i, "question": turn["question"],
                "kind": turn.get("kind") or "first", "answerable": turn.get("answerable", True),
                "phrase": turn.get("phrase"), "aware_right": right(turn, aware), "aware_ms": round(aware_ms, 2),
                "read_as": aware.follow_up.kind if aware.follow_up else None, "aware_evidence": aware.evidence,
                "aware_quotes": [f"{e.doc_id}: {e.text}" for e in aware.excerpts],
            }
            if i:
                alone, alone_ms = _timed(engine, turn["question"], [])
                record.update(alone_right=right(turn, alone), alone_ms=round(alone_ms, 2), alone_evidence=alone.evidence,
                              alone_quotes=[f"{e.doc_id}: {e.text}" for e in alone.excerpts])
            records.append(record)
            history.append(Turn.of(aware))
    return records


def _share(records: list[dict], key: str) -> dict:
    n = len(records)
    got = sum(r[key] for r in records)
    return {"right": got, "of": n, "share": round(got / n, 3) if n else None}


def figures(records: list[dict]) -> dict:
    first = [r for r in records if r["turn"] == 0]
    follow = [r for r in records if r["turn"] > 0]
    answerable = [r for r in follow if r["answerable"]]
    unanswerable = [r for r in follow if not r["answerable"]]
    out: dict = {
        "conversations": len(first),
        "first_turns_right": _share(first, "aware_right"),
        "follow_ups": len(follow),
        "answerable_follow_ups": {"context_free": _share(answerable, "alone_right"),
                                  "conversation_aware": _share(answerable, "aware_right")},
        "unanswerable_follow_ups_refused": {"context_free": _share(unanswerable, "alone_right"),
                                            "conversation_aware": _share(unanswerable, "aware_right")},
        "by_kind": {},
        "read_as": {},
    }
    started_right = {r["conversation"] for r in first if r["aware_right"]}
    fair = [r for r in answerable if r["conversation"] in started_right]
    out["answerable_follow_ups_after_a_right_first_answer"] = {
        "context_free": _share(fair, "alone_right"), "conversation_aware": _share(fair, "aware_right")}
    for kind in sorted({r["kind"] for r in follow}):
        rows = [r for r in follow if r["kind"] == kind]
        out["by_kind"][kind] = {"context_free": _share(rows, "alone_right")["right"],
                                "conversation_aware": _share(rows, "aware_right")["right"], "of": len(rows)}
    for r in follow:
        out["read_as"][r["read_as"] or "alone"] = out["read_as"].get(r["read_as"] or "alone", 0) + 1
    if follow:
        out["latency_ms_p50"] = {"context_free": round(statistics.median(r["alone_ms"] for r in follow), 1),
                                 "conversation_aware": round(statistics.median(r["aware_ms"] for r in follow), 1)}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    shared = Path(os.environ.get("DOCBOT_SHARED_DIR", ROOT.parent / "shared"))
    ap.add_argument("--corpus", type=Path, default=shared / "corpora" / "news2022",
                    help="the news2022 articles (read by id, never copied into the repository)")
    ap.add_argument("--ids", type=Path, default=DATA / "conversations_corpus.txt",
                    help="the articles to index, one file name a line")
    ap.add_argument("--conversations", type=Path, default=DATA / "conversations.jsonl")
    ap.add_argument("--docs", type=Path, help="index this folder instead of the seeds and the listed articles")
    ap.add_argument("--work-dir", type=Path, help="documents and index (default: a new temporary folder)")
    ap.add_argument("--out", type=Path, help="write every turn's record (turns.jsonl) and the figures here")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    work = args.work_dir or Path(tempfile.mkdtemp(prefix="conversations-"))
    if args.docs is not None:
        docs = args.docs
    elif not args.corpus.is_dir():
        print(json.dumps({"skipped": f"corpus {args.corpus} not found (see --corpus)"}))
        return 0
    else:
        docs = gather_documents(work, args.corpus, [i for i in args.ids.read_text().split() if i])
    engine = Engine(EngineSettings(data_dir=work / "index", docs_dir=docs, _env_file=None))
    log.warning("indexing %s into %s (incremental)", docs, work / "index")
    indexed = engine.reindex()
    stats = engine.stats()
    result = {"corpus": {"documents": stats.documents, "chunks": stats.chunks, "index_seconds": round(indexed.seconds, 1),
                         "work_dir": str(work)}}
    records = play(engine, load_questions(args.conversations))
    result.update(figures(records))
    report(result, records, args.out, "turns.jsonl")
    return 0


if __name__ == "__main__":
    sys.exit(main())
