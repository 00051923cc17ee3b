"""Do both index backends give the same answers? The community notes indexed locally and into Milvus Lite.

    python -m benchmarks.store_parity [--work DIR] [--out FILE.json]

Indexes ``benchmarks/data/community`` (7 notes) with the local backend and into a new Milvus Lite file, asks
both the 90 questions of ``benchmarks/data/community_questions.jsonl`` (26 of them unanswerable: on the notes'
topic, but about something no note says, e.g. a Helm chart), then turns the Milvus generation into one as
written before generations kept their BM25 vocabulary and null profile (those rows deleted, the manifest row
without the vocabulary's counts) and asks again in a new engine. For each: answerable questions answered,
unanswerable ones refused, and questions answered exactly as locally (the same refusal or the same excerpts).
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import tempfile
from pathlib import Path

from benchmarks.bench import emit
from embeddings import Engine, EngineSettings

DATA = Path(__file__).resolve().parent / "data"


def _answers(engine: Engine, questions: list[dict]) -> list[tuple[bool, list[str]]]:
    answers = (engine.ask(q["question"]) for q in questions)
    return [(a.answered, [f"{e.doc_id}[{e.start}:{e.end}]" for e in a.excerpts]) for a in answers]


def as_before_the_vocabulary(engine: Engine) -> None:
    """The published Milvus generation as an older docbot wrote it: no vocabulary or derived rows (its
    manifest row without the vocabulary's counts). ``tests/test_milvus_parity.py`` uses it too."""
    client, docs = engine.backend.client, f"{engine.backend.pointer()}_docs"
    head = client.query(docs, filter="doc_pos == -1", output_fields=["*"])[0]
    head["meta"].pop("vocabulary", None)
    client.delete(docs, filter="doc_pos < -1")
    client.upsert(docs, [head])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, help="where the indexes go (default: a temporary folder)")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")

    work = args.work or Path(tempfile.mkdtemp(prefix="store-parity-"))
    docs = work / "docs"
    shutil.rmtree(work / "docs", ignore_errors=True)
    shutil.copytree(DATA / "community", docs)
    questions = [json.loads(line) for line in (DATA / "community_questions.jsonl").read_text().splitlines()]
    local = Engine(EngineSettings(data_dir=work / "local", docs_dir=docs, _env_file=None))
    milvus_settings = EngineSettings(data_dir=work / "milvus", docs_dir=docs, store="milvus",
                                     milvus_uri=str(work / "milvus" / "index.db"), _env_file=None)
    milvus = Engine(milvus_settings)
    local.index()
    milvus.index()
    runs = {"local": _answers(local, questions), "milvus_lite": _answers(milvus, questions)}
    as_before_the_vocabulary(milvus)
    runs["milvus_lite_without_vocabulary"] = _answers(Engine(milvus_settings), questions)

    out: dict = {"questions": len(questions), "unanswerable": sum(not q["answerable"] for q in questions)}
    for name, answers in runs.items():
        out[name] = {
            "answered_answerable": sum(a for (a, _), q in zip(answers, questions) if q["answerable"]),
            "refused_unanswerable": sum(not a for (a, _), q in zip(answers, questions) if not q["answerable"]),
            "same_as_local": sum(x == y for x, y in zip(answers, runs["local"])),
        }
    emit(out, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
