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


def test_the_fits_second_step_learns_only_its_feature_on_top_of_the_first():
    """``fit_staged``'s regression: with each row's log-odds from the first step as a fixed offset, it
    learns how much the staged feature counts (kept to its sign) and no bias of its own."""
    import numpy as np

    rng = np.random.default_rng(0)
    offset = rng.normal(4.0, 1.0, 200)  # the first step answers all of them
    absent = np.r_[np.zeros(100), rng.uniform(1.0, 3.0, 100)]  # the second hundred lack a word
    y = np.r_[np.ones(100), np.zeros(100)]
    beta = quality._fit_signed(absent[:, None], y, np.ones(200), [-1], offset=offset)
    assert beta[0] == 0.0 and beta[1] < -3
    answered = offset + beta[1] * absent > 0
    assert answered[:100].all() and not answered[100:].any()
    # A feature that cannot tell them apart gets no weight of the wrong sign.
    noise = quality._fit_signed(rng.uniform(0, 1, (200, 1)), y, np.ones(200), [1], offset=offset)
    assert noise[1] >= 0.0
