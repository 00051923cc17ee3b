"""The `docbot` command line: every subcommand, human and --json output, clear errors."""

from __future__ import annotations

import json
import re
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.doc_fixtures import RESIGNATION_QUESTION, RESIGNATIONS

ROOT = Path(__file__).resolve().parent.parent


def docbot(*args: str, data_dir: Path, env: dict | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "embeddings.cli", "--data-dir", str(data_dir), *args],
        capture_output=True, text=True, cwd=ROOT, input=input,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT), **(env or {})},
    )


def test_index_reports_summary_and_is_incremental(fresh):
    settings = fresh()
    first = docbot("index", str(settings.docs_dir), data_dir=settings.data_dir)
    assert first.returncode == 0, first.stderr
    assert "4 documents: 4 added, 0 changed, 0 removed, 0 unchanged; published a new index." in first.stdout
    again = docbot("index", str(settings.docs_dir), "--json", data_dir=settings.data_dir)
    report = json.loads(again.stdout)
    assert report["unchanged"] == 4 and report["chunks_embedded"] == 0 and not report["published"]


def test_ask_human_and_json(session_index):
    out = docbot("ask", "what did Peskov say about a meeting?", data_dir=session_index.data_dir)
    assert out.returncode == 0
    assert re.search(r"could (only meet|meet only) to finalize a certain document", out.stdout.replace("\n    ", " "))
    assert "[1] Russia Holds Firm on Opposition to PutinZelenskyy Negotiations (2022-06-01)" in out.stdout
    data = json.loads(docbot("ask", "what did Peskov say about a meeting?", "--json",
                             data_dir=session_index.data_dir).stdout)
    assert data["answered"] and data["sources"][0]["url"].startswith("https://nationalinterest.org/")
    off = docbot("ask", "How do I center a div in CSS?", data_dir=session_index.data_dir)
    assert "don't" in off.stdout and "Sources" not in off.stdout


def test_a_failure_under_json_is_json_too(session_index, tmp_path):
    """A script asking for JSON got nothing on stdout when the command failed (an unknown --doc, a missing
    index): it now reads the reason and the status there, and a person still reads the one line on stderr."""
    out = docbot("ask", "what did Peskov say?", "--doc", "nowhere.md", "--json", data_dir=session_index.data_dir)
    assert out.returncode == 1 and out.stderr.count("\n") == 1 and "nowhere.md" in out.stderr
    data = json.loads(out.stdout)
    assert data["status"] == 1 and "nowhere.md" in data["error"] and data["error"] in out.stderr
    missing = docbot("stats", "--json", data_dir=tmp_path / "no-index")
    assert missing.returncode == 1 and json.loads(missing.stdout)["error"] in missing.stderr
    plain = docbot("ask", "what did Peskov say?", "--doc", "nowhere.md", data_dir=session_index.data_dir)
    assert plain.returncode == 1 and plain.stdout == ""  # without --json, stdout stays for answers


def test_the_common_options_work_after_the_command_too(session_index, tmp_path):
    after = subprocess.run(
        [sys.executable, "-m", "embeddings.cli", "stats", "--data-dir", str(session_index.data_dir), "--json", "-v"],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)},
    )
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout)["documents"] == 4
    assert "INFO" in after.stderr or "DEBUG" in after.stderr  # -v after the command logs too
    # given both before and after, the one after the command wins, as written last
    both = docbot("stats", "--data-dir", str(tmp_path / "elsewhere"), data_dir=session_index.data_dir)
    assert both.returncode != 0 and "elsewhere" in both.stderr


def test_search_sources_source_stats(session_index):
    hits = json.loads(docbot("search", "Podolyak", "-k", "2", "--json", data_dir=session_index.data_dir).stdout)
    assert len(hits) == 2 and "Podolyak" in hits[0]["text"] and hits[0]["rank"] == 1
    human = docbot("search", "Etna", "-k", "1", data_dir=session_index.data_dir).stdout
    assert human.startswith(" 1. score") and "volcano.md#0" in human

    collection = json.loads(docbot("sources", "--json", data_dir=session_index.data_dir).stdout)
    docs_dir = str(session_index.docs_dir.resolve())
    assert collection["sources"] == [{"path": docs_dir, "kind": "folder", "documents": 4, "excluded": [],
                                      "exists": True}]
    sources = collection["documents"]
    assert {s["doc_id"] for s in sources} == {"000_aa59c3a3474d19f0.txt", "volcano.md", "grain.txt", "everyone.md"}
    assert {s["source"] for s in sources} == {docs_dir}
    assert sources[0]["date"] == "2022-06-01"  # dated documents first

    ref = f"000_aa59c3a3474d19f0.txt#{1}"
    view = json.loads(docbot("source", ref, "--json", data_dir=session_index.data_dir).stdout)
    assert view["focus"] == 1 and [c["chunk"] for c in view["chunks"]] == [0, 1, 2]
    whole = docbot("source", "volcano.md", data_dir=session_index.data_dir).stdout
    assert whole.startswith("Mount Etna erupts again") and "Giuseppe Salerno" in whole

    stats = json.loads(docbot("stats", "--json", data_dir=session_index.data_dir).stdout)
    assert stats["documents"] == 4 and stats["model"].endswith("all-MiniLM-L6-v2") and stats["size_bytes"] > 0


@pytest.mark.parametrize(
    "args, message",
    [
        (("source", "nope.txt"), "no document 'nope.txt' in the index (see `sources`)"),
        # A name nearly an indexed one asks whether that was meant ("faq.md" beside FAQ.md gave no hint).
        (("source", "volcan.md"), "no document 'volcan.md' in the index; did you mean 'volcano.md'? (see `sources`)"),
        (("ask", "--doc", "GRAIN", "where did the first ship go"), "did you mean 'grain.txt'?"),
        (("source", "volcano.md#99"), "there is no chunk '99'"),
        # It said "no document 'volcano.md#-1' in the index", though the document is there.
        (("source", "volcano.md#-1"), "'volcano.md' has chunks 0 to 0; there is no chunk '-1'"),
        (("source", "volcano.md#x"), "'volcano.md' has chunks 0 to 0; there is no chunk 'x'"),
    ],
)
def test_errors_are_one_clear_line(session_index, args, message):
    out = docbot(*args, data_dir=session_index.data_dir)
    assert out.returncode == 1 and message in out.stderr and "Traceback" not in out.stderr


def test_a_document_name_typed_in_other_letter_case_is_that_document(session_index):
    """``docbot source faq.md`` and ``ask --doc changelog.md`` said "no document" beside FAQ.md and
    CHANGELOG.md: a name that differs from one indexed name only in case is that document."""
    whole = docbot("source", "VOLCANO.md", data_dir=session_index.data_dir)
    assert whole.returncode == 0 and whole.stdout.startswith("Mount Etna erupts again")
    asked = json.loads(docbot("ask", "--json", "--doc", "Grain.TXT", "where did the first ship go",
                              data_dir=session_index.data_dir).stdout)
    assert asked["answered"] and {s["doc_id"] for s in asked["sources"]} == {"grain.txt"}


def test_no_index_yet(tmp_path):
    out = docbot("ask", "hello", data_dir=tmp_path / "empty")
    assert out.returncode == 1 and "run `docbot index`" in out.stderr


def test_data_dir_from_environment(session_index, tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "embeddings.cli", "stats", "--json"], capture_output=True, text=True, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT), "DOCBOT_DATA_DIR": str(session_index.data_dir)},
    )
    assert json.loads(out.stdout)["documents"] == 4


def test_chat_answers_until_empty_line(session_index):
    out = docbot("chat", data_dir=session_index.data_dir, input="What closed Catania airport?\n\n")
    assert out.returncode == 0
    assert "Ask about 4 documents" in out.stdout and "Catania airport" in out.stdout


def test_chat_reads_a_follow_up_with_the_question_before_it(session_index):
    out = docbot("chat", data_dir=session_index.data_dir,
                 input="Which airport did the Etna eruption close?\nfor how long?\n\n")
    assert out.returncode == 0
    first, follow = out.stdout.split("\n? ")[1:3]
    assert "six hours" in " ".join(follow.split()) and "(read as a follow-up to \u201cWhich airport did the Etna eruption close?\u201d)" in follow


def test_sources_and_stats_for_people(session_index):
    sources = docbot("sources", data_dir=session_index.data_dir).stdout.splitlines()
    assert sources[:3] == ["1 source, 4 documents:", "", f"{session_index.docs_dir.resolve()}  (folder, 4 documents)"]
    assert sources[3].startswith("  2022-06-01  Russia Holds Firm on Opposition to PutinZelenskyy Negotiations  "
                                 "[000_aa59c3a3474d19f0.txt, ")
    assert any("volcano.md" in line for line in sources)
    stats = docbot("stats", data_dir=session_index.data_dir).stdout
    assert stats.startswith("documents   4\n") and "FlatIP (exact)" in stats and "indexed at  20" in stats


def test_ask_and_search_count_this_week_back_from_the_day_asked(fresh):
    settings = fresh()
    for name, text in RESIGNATIONS.items():  # beside the four test documents
        (settings.docs_dir / name).write_text(text)
    assert docbot("index", str(settings.docs_dir), data_dir=settings.data_dir).returncode == 0
    for day, who, doc in (("2022-07-08", "Boris Johnson", "johnson-2022.txt"), ("2019-03-22", "Anders Berg", "berg-2019.txt")):
        ans = json.loads(docbot("ask", RESIGNATION_QUESTION, "--asked-on", day, "--json", data_dir=settings.data_dir).stdout)
        assert who in ans["excerpts"][0]["text"], day
        hits = json.loads(docbot("search", RESIGNATION_QUESTION, "--asked-on", day, "-k", "1", "--json",
                                 data_dir=settings.data_dir).stdout)
        assert hits[0]["doc_id"] == doc, day
    bad = docbot("ask", RESIGNATION_QUESTION, "--asked-on", "last tuesday", data_dir=settings.data_dir)
    assert bad.returncode == 2 and bad.stderr == ("docbot ask: error: argument --asked-on: must be a date as YYYY-MM-DD, "
                                                  "not 'last tuesday' (see docbot ask --help)\n")
