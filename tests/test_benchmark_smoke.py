"""The benchmark script runs end to end on a tiny corpus and prints every figure it promises."""

from __future__ import annotations

import json
import os

import pytest

from benchmarks import bench

DOCS = {
    "20220601_a.txt": "Etna erupts\n20220601\nhttps://example.org/etna\nMount Etna erupted on Tuesday and ash "
    "closed Catania airport for six hours. Vulcanologist Giuseppe Salerno said the lava posed no threat.\n",
    "20220802_b.txt": "Grain ship leaves Odesa\n20220802\nhttps://example.org/grain\nThe Razoni left Odesa "
    "carrying 26,000 tonnes of corn to Lebanon under a deal brokered by Turkey and the UN.\n",
    "20220903_c.txt": "Tea harvest\n20220903\nhttps://example.org/tea\nDarjeeling growers picked the first "
    "flush in March, a month earlier than usual, because of a warm winter.\n",
}
QUESTIONS = [
    {"id": "1", "question": "Which airport did the Etna eruption close?", "answer": ["Catania"],
     "evidence": "ash closed Catania airport for six hours", "gold_docs": ["20220601_a.txt"]},
    {"id": "2", "question": "How much corn did the Razoni carry?", "answer": ["26,000 tonnes"],
     "evidence": "The Razoni left Odesa carrying 26,000 tonnes of corn", "gold_docs": ["20220802_b.txt"]},
]


def _tiny(tmp_path):
    """The tiny corpus and its questions, written under ``tmp_path``."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text)
    questions = tmp_path / "qa.jsonl"
    questions.write_text("\n".join(json.dumps(q) for q in QUESTIONS))
    return corpus, questions


def test_bench_prints_all_figures(fresh, tmp_path, capsys):
    corpus, questions = _tiny(tmp_path)
    settings = fresh(docs=corpus)
    assert bench.main(["--corpus", str(corpus), "--questions", str(questions),
                       "--data-dir", str(settings.data_dir), "--rounds", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["index"]["documents"] == 3 and out["index"]["chunks"] >= 3
    assert out["unchanged_reindex"]["chunks_embedded"] == 0 and not out["unchanged_reindex"]["published"]
    for mode in ("hybrid", "dense", "bm25"):
        assert out[f"retrieval_{mode}"]["hit@5"] == 1.0
    assert out["answers"]["gold_answer_in_a_quote"] == 1.0
    assert out["answers"]["excerpt_overlaps_evidence"] == 1.0
    assert out["ask_latency"]["queries"] == 2 and out["ask_latency"]["p50_ms"] > 0
    assert out["query_only_process"]["torch_imported"] is False
    assert 0 < out["cold_ask_seconds"] < 60
    assert set(out["abstention"]) >= {"configured", "best"}


def test_bench_skips_cleanly_without_the_corpus(tmp_path, capsys):
    assert bench.main(["--corpus", str(tmp_path / "absent"), "--questions", str(tmp_path / "none.jsonl")]) == 0
    assert "skipped" in json.loads(capsys.readouterr().out)


def test_overlap_measure():
    assert bench.overlaps("the national average of a gallon of regular gas now costs $5",
                          "For the first time ever, the national average of a gallon of regular gas now costs $5.")
    assert not bench.overlaps("Less than 300 gas stations were charging $4.25",
                              "the national average of a gallon of regular gas now costs $5")


def test_answer_words_forgive_typography_not_paraphrase():
    assert bench.words_inside("\u201cGrease\u201d", 'the Australian singer and "Grease" star')
    assert bench.words_inside("\u201cSuccession\u201d", "\u201cSuccession,\u201d the HBO drama")
    assert not bench.words_inside("6", "the WNBA star's detention be extended six months")
    assert not bench.words_inside("3 million", "saved more than 3.2 million lives")  # "3 2 million"
    assert not bench.words_inside("art", "a DART spacecraft")  # whole words only
    assert bench.words_inside("Colombia", "Gustavo Petro will become Colombia\u2019s first leftist leader")
    assert not bench.words_inside("", "anything")


def test_query_speed_prints_every_stage_and_variant(engine, session_index, tmp_path, capsys):
    from benchmarks import query_speed

    _, questions = _tiny(tmp_path)
    assert query_speed.main(["--data-dir", str(session_index.data_dir), "--questions", str(questions),
                             "--rounds", "1", "--cold", "1", "--markdown"]) == 0
    text = capsys.readouterr().out
    out = json.loads(text[: text.rindex("}") + 1])
    stages = {"tokenize", "embed", "dense", "bm25", "fusion", "evidence", "answer"}
    # Overlapped (an idle second core), the question's terms are made beside the embedding, in "bm25".
    assert out["ask"]["n"] == 2 and stages <= set(out["ask"]["stages_p50_ms"]) <= stages | {"terms"}
    assert set(out["ask"]["one_thread"]["stages_p50_ms"]) == stages - {"tokenize"} | {"terms"}
    assert set(out["embed"]) == {f"{p}_{t}" for p in ("fp32", "int8") for t in ("1t", "2t", "adaptive")}
    assert out["embed"]["int8_1t"]["model"] == "model.int8.onnx" and out["embed"]["fp32_1t"]["ratio_to_fp32_1t"] == 1.0
    assert out["cold"]["phases_of_the_fastest_run_ms"]["torch_imported"] is False
    assert out["ask"]["one_thread"]["n"] == 2 and out["ask"]["ratio_to_one_thread"] > 0
    assert 0 <= out["ask"]["embedded_beside_bm25"] <= 1
    assert "| `Engine.ask` in-process" in text and "| the same engine on one thread" in text


def test_query_speed_cold_only_against_a_baseline_checkout(session_index, tmp_path, capsys):
    """The cold figures alone, this checkout and another run by run in turn (here: the same code)."""
    from benchmarks import query_speed

    _, questions = _tiny(tmp_path)
    assert query_speed.main(["--data-dir", str(session_index.data_dir), "--questions", str(questions),
                             "--cold", "2", "--cold-only", "--cold-baseline", str(query_speed.ROOT),
                             "--markdown"]) == 0
    text = capsys.readouterr().out
    out = json.loads(text[: text.rindex("}") + 1])
    assert "ask" not in out and "embed" not in out
    cold = out["cold"]
    assert 0 < cold["docbot_ask_seconds_best"] <= cold["docbot_ask_seconds_median"] < 60
    assert 0 < cold["baseline_seconds_best"] <= cold["baseline_seconds_median"] < 60
    # The ratio is of the unrounded times, the seconds printed are rounded: they agree to rounding.
    ratio = cold["docbot_ask_seconds_best"] / cold["baseline_seconds_best"]
    assert cold["ratio_to_baseline"]["wall_best"] == pytest.approx(ratio, abs=0.005)
    assert "| ratio this / baseline" in text and "| `Engine.ask` in-process" not in text


def test_query_compare_measures_two_versions_side_by_side(session_index, tmp_path, capsys):
    import subprocess

    from benchmarks import query_compare

    if subprocess.run(["git", "-C", str(query_compare.ROOT), "rev-parse", "HEAD"], capture_output=True).returncode:
        pytest.skip("not a git checkout: no earlier version to compare with")
    _, questions = _tiny(tmp_path)
    assert query_compare.main(["--data-dir", str(session_index.data_dir), "--questions", str(questions),
                               "--ref", "HEAD", "--rounds", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ref_commit"] == "HEAD" and out["questions"] == 2
    for version in ("ref", "this"):
        assert out[version]["cpu_p50_ms"] > 0 and {"embed", "dense", "bm25", "evidence", "answer"} <= set(
            out[version]["stages_cpu_p50_ms"])
    assert out["ratio"]["cpu"] > 0 and out["different_answers"] == []  # the same answers from both
    assert query_compare.main(["--data-dir", str(session_index.data_dir), "--questions", str(questions),
                               "--ref", "no-such-commit"]) == 2
    assert "cannot read 'no-such-commit'" in capsys.readouterr().err
    from embeddings import engine

    assert engine._Stopwatch is not query_compare.CpuStopwatch  # nothing left patched for the rest


def test_index_speed_runs_on_a_tiny_corpus(fresh, tmp_path, capsys):
    from benchmarks import index_speed

    corpus, questions = _tiny(tmp_path)
    assert index_speed.main(["--corpus", str(corpus), "--questions", str(questions), "--limit-docs", "3",
                             "--no-textbook", "--hogs", "1", "--beside-docs", "2",
                             "--work-dir", str(tmp_path / "work"), "--markdown"]) == 0
    text = capsys.readouterr().out
    out = json.loads(text[: text.rindex("}") + 1])
    assert out["docbot"]["documents"] == 3 and out["docbot"]["hit@5"] == 1.0
    assert set(out["threads"]["slowdown_x"]) == {"1 thread", f"{os.cpu_count()} threads (torch's default)", "adaptive"}
    assert all(b["questions"] >= 1 for b in out["beside_questions"].values())
    assert "| first index of a data directory" in text


def test_notes_benchmark_prints_each_sets_figures(fresh, tmp_path, capsys, monkeypatch):
    """`python -m benchmarks.notes --named` over a one-note set: answered, phrase quoted and first,
    refused, and the same questions asked naming the collection."""
    from benchmarks import notes

    fresh()  # links the session's ONNX export into tmp_path / "data", the set's index below
    docs = tmp_path / "notes"
    docs.mkdir()
    (docs / "faq.md").write_text("# Orbit FAQ\n\nOrbit needs at least 4 GB of RAM.\n\nBackups run nightly at 02:00.\n")
    questions = tmp_path / "questions.jsonl"
    questions.write_text("\n".join(json.dumps(q) for q in [
        {"question": "How much RAM does Orbit need?", "phrase": "at least 4 GB", "answerable": True},
        {"question": "When do backups run?", "phrase": "nope", "alt_phrases": ["nightly at 02:00"], "answerable": True},
        {"question": "Is there an official Orbit subreddit?", "answerable": False}]))
    monkeypatch.setattr(notes, "SETS", {"data": (docs, questions, " in Orbit")})
    assert notes.main(["--named", "--work-dir", str(tmp_path), "--out", str(tmp_path / "out")]) == 0
    figures = json.loads(capsys.readouterr().out)["data"]
    assert figures["answerable"] == 2 and figures["answered"] == 2 and figures["phrase_quoted"] == 2
    assert figures["unanswerable"] == 1 and figures["refused"] == 1
    assert figures["named"]["answerable"] == 2
    records = (tmp_path / "out" / "questions.jsonl").read_text().splitlines()
    assert any('"set": "data named"' in r and "in Orbit?" in r for r in records)


def test_a_notes_phrase_is_read_as_a_reader_sees_it():
    from benchmarks.phrases import phrase_quoted

    question = {"phrase": "Day pass | 12", "alt_phrases": ["twelve euros"]}
    assert phrase_quoted(question, ["Day pass for kids | 6"]) == (False, False)
    assert phrase_quoted(question, ["Prices:", "**Day pass** | `12` | 8"]) == (True, False)  # emphasis, ticks, pipes
    assert phrase_quoted(question, ["It costs twelve euros."]) == (True, True)


def test_the_quality_benchmark_judges_a_phrase_as_the_notes_benchmark_does():
    """``benchmarks.quality``'s community and seeds figures read a phrase as ``benchmarks.notes`` does: in
    one quote, as a reader sees it. It joined the quotes (a phrase cut between two counted) and kept
    Markdown's marks (a phrase in bold did not), so the two reported other figures for the same answers."""
    from types import SimpleNamespace

    from benchmarks.quality import phrase_record

    def engine(*quotes: str):
        answer = SimpleNamespace(answered=True, evidence=1.0, sources=[], excerpts=[SimpleNamespace(text=t) for t in quotes])
        return SimpleNamespace(ask=lambda *args, **kwargs: answer)

    question = {"question": "How much is a day pass?", "phrase": "Day pass costs 12 euros", "answerable": True}
    assert phrase_record(engine("The **day pass** costs 12 euros."), question, "notes")["phrase_quoted"]
    assert not phrase_record(engine("A day pass", "costs 12 euros at the desk."), question, "notes")["phrase_quoted"]
    assert phrase_record(engine("It is twelve euros."), {**question, "alt_phrases": ["twelve euros"]},
                         "notes")["phrase_quoted"]
