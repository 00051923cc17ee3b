"""Answers over small collections of notes: what a Discord community asks of its own documents.

    python -m benchmarks.notes [--set community|course|gym|lumenfeed ...] [--named] [--work-dir DIR] [--out DIR]

Each set is a folder of notes under ``benchmarks/data`` and its questions (``<set>_questions.jsonl``;
the community's are ``community_questions.jsonl``): answerable ones name the phrase that must be quoted
(``phrase``, or one of ``alt_phrases``), unanswerable ones are on the same topic but answered by no note.

- ``community``: Orbit, a photo library's community notes (Markdown and text), the set the abstention
  model is fitted on (``benchmarks.quality --fit``);
- ``gym``: a climbing gym co-op's notes (Markdown, text, HTML, PDF, Word), written by a tester as a
  held-out set: measure on it, never tune on it;
- ``lumenfeed``: a small open-source project's notes (README, changelog, configuration, roadmap...),
  written by another tester;
- ``course``: a university course's Discord documents (syllabus, dated schedule table, PDF grading policy,
  lab setup with code blocks, FAQ, HTML office hours, dated announcements, Word exam information), written
  by a tester who had not read the code; like lumenfeed, the defects it showed are worked on (gym stays the
  held-out set).

Printed per set as JSON: answerable questions answered, their phrase quoted and quoted first; unanswerable
ones refused. ``--named`` also asks every answerable question with the collection's name added ("... in
Orbit"): an answer should not change because a question names what every note is about. Each set is
indexed (incrementally) into ``WORK/<set>``; ``--out DIR`` writes every question's record.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import tempfile
from pathlib import Path

from benchmarks.bench import load_questions, report
from embeddings import Engine, EngineSettings

DATA = Path(__file__).resolve().parent / "data"
#: Each set: its folder, its questions and how a question names the collection.
SETS = {
    "community": (DATA / "community", DATA / "community_questions.jsonl", " in Orbit"),
    "course": (DATA / "course", DATA / "course_questions.jsonl", " in CS 214"),
    "gym": (DATA / "gym", DATA / "gym_questions.jsonl", " at Blocwerk"),
    "lumenfeed": (DATA / "lumenfeed", DATA / "lumenfeed_questions.jsonl", " in Lumenfeed"),
}


def _plain(text: str) -> str:
    """Text compared as a reader sees it: without Markdown's emphasis, code ticks and table pipes."""
    return re.sub(r"\s+", " ", re.sub(r"[`*|]", " ", text)).strip().lower()


def quoted(question: dict, quotes: list[str]) -> tuple[bool, bool]:
    """Whether the question's phrase (or an alternative) is in a quote, and in the first."""
    phrases = [_plain(p) for p in [question["phrase"], *question.get("alt_phrases", [])]]
    shown = [_plain(q) for q in quotes]
    return (any(p in q for q in shown for p in phrases), bool(shown) and any(p in shown[0] for p in phrases))


def play(engine: Engine, questions: list[dict], name: str | None) -> list[dict]:
    records = []
    for q in questions:
        text = q["question"] if name is None else q["question"].rstrip(" ?") + name + "?"
        answer = engine.ask(text)
        quotes = [e.text for e in answer.excerpts]
        record = {"question": text, "answerable": q["answerable"], "answered": answer.answered,
                  "evidence": round(answer.evidence, 4), "quotes": quotes}
        if q["answerable"]:
            record["quoted"], record["first"] = quoted(q, quotes)
        records.append(record)
    return records


def figures(records: list[dict]) -> dict:
    answerable = [r for r in records if r["answerable"]]
    unanswerable = [r for r in records if not r["answerable"]]
    out = {"answerable": len(answerable),
           "answered": sum(r["answered"] for r in answerable),
           "phrase_quoted": sum(r["quoted"] for r in answerable),
           "phrase_first": sum(r["first"] for r in answerable)}
    if unanswerable:
        out.update(unanswerable=len(unanswerable), refused=sum(not r["answered"] for r in unanswerable))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", dest="sets", action="append", choices=sorted(SETS),
                    help="a set to run (repeat for several; default: all)")
    ap.add_argument("--named", action="store_true", help="also ask the answerable questions naming the collection")
    ap.add_argument("--work-dir", type=Path, help="the sets' indexes (default: a new temporary folder)")
    ap.add_argument("--out", type=Path, help="write the figures and every question's record here")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="notes-"))
    result, records = {}, []
    for name in args.sets or sorted(SETS):
        docs, questions_file, naming = SETS[name]
        engine = Engine(EngineSettings(data_dir=work / name, docs_dir=docs, _env_file=None))
        engine.reindex()
        questions = load_questions(questions_file)
        played = play(engine, questions, None)
        result[name] = figures(played)
        records += [dict(r, set=name) for r in played]
        if args.named:
            named = play(engine, [q for q in questions if q["answerable"]], naming)
            result[name]["named"] = figures(named)
            records += [dict(r, set=name + " named") for r in named]
    report(result, records, args.out, "questions.jsonl")
    return 0


if __name__ == "__main__":
    sys.exit(main())
