"""The answer-quality benchmark runs end to end on the small corpora and prints every figure it promises."""

from __future__ import annotations

import json

from benchmarks import quality
from embeddings.indexer import onnx_dir


def test_quality_prints_small_corpus_figures(tmp_path, session_index, capsys):
    work = tmp_path / "work"
    for name in ("community", "seeds"):  # reuse the session's ONNX export instead of exporting twice
        target = onnx_dir(session_index.model_copy(update={"data_dir": work / name}))
        target.parent.mkdir(parents=True)
        target.symlink_to(onnx_dir(session_index))
    out_dir = tmp_path / "out"
    assert quality.main(["--no-news", "--work-dir", str(work), "--out", str(out_dir)]) == 0
    result = json.loads(capsys.readouterr().out)
    community = result["community_all"]
    assert community["answerable"] >= 40 and community["unanswerable"] >= 20
    assert 0 <= community["phrase_quoted"] <= community["answered"] <= 1
    assert result["offtopic_test_refused_community"] > 0.5
    assert result["seeds"]["answerable"] >= 10
    assert set(result["community_test_half"]) >= {"answered", "phrase_quoted", "refused", "sources_per_answer"}
    rows = [json.loads(line) for line in (out_dir / "questions.jsonl").read_text().splitlines()]
    assert {r["set"] for r in rows} == {"community", "offtopic@community", "seeds"}
    assert all("quotes" in r and "evidence" in r for r in rows)
